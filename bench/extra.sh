#!/usr/bin/env bash
# Ingest latency during a retrain, and replay throughput (markdown on stdout, progress on stderr).
# Usage: bench/extra.sh   (defaults: 3 repeats, ipc, 100k msg/s paced for 4 s, 1M×33 fit; oos-daily 3×5 passes)
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
BIN=.build/release/stackd-bench
echo "# stackd-bench retrain-latency + replay, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc --all) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" retrain-latency --rate 100000 --seconds 4 --repeat 3 --transport ipc --fit-rows 1000000 --fit-feats 33
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" replay --data ../../shared/data/oos-daily --repeat 3 --loops 5
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" record-ingest --repeat 3
