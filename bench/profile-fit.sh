#!/usr/bin/env bash
# perf profiles for the fit / replay benchmarks (run after fit.sh has written /tmp/stackd-fit):
#   1. MultinomialLogisticRegression.fit on 100k × 60 (gtol 1e-4, 3 fits)
#   2. the replay core loop + ReplayRunner.run on oos-daily
# Prints the hottest symbols (self time) of each, demangled.
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
BIN=.build/release/stackd-bench
perf record -F 999 -g -o .build/perf-fit.data -- $BIN fit --x /tmp/stackd-fit/X.f64 --y /tmp/stackd-fit/y60.i32 --fmax 60 --rows 100000 --feats 60 --gtol 1e-4 --repeat 3 >/dev/null 2>&1
echo "## fit 100000 x 60, self time"
perf report -i .build/perf-fit.data --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -15 | swift demangle --simplified
perf record -F 999 -g -o .build/perf-replay.data -- $BIN replay --data ../../shared/data/oos-daily --repeat 1 --loops 3 >/dev/null 2>&1
echo "## replay (ReplayRunner.run + core loop, 3 passes each), self time"
perf report -i .build/perf-replay.data --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -30 | swift demangle --simplified
