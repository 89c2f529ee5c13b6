#!/usr/bin/env bash
# Samples the stackd live path flat out (tcp, no raw baseline) with perf and prints the hottest
# symbols of the whole process and of the ingest thread (LiveRunner's, kernel name "stackd-bench").
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
perf record -F 2000 -g -o .build/perf.data -- .build/release/stackd-bench throughput --skip-raw --transports tcp --repeat 1 --messages 2000000 >/dev/null 2>&1
echo "## whole process, self time"
perf report -i .build/perf.data --no-children --sort dso,symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -30 | swift demangle --simplified
echo "## threads named stackd-bench (LiveRunner ingest + idle main), self time as % of all samples"
perf report -i .build/perf.data --no-children --comms stackd-bench --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -30 | swift demangle --simplified
