#!/usr/bin/env bash
# Builds the benchmarks in release and runs them all; prints markdown tables on stdout
# (progress lines on stderr). Usage: bench/run.sh [extra stackd-bench live options]
# e.g. bench/run.sh --repeat 1 --messages 400000 for a quick look.
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
BIN=.build/release/stackd-bench
cc -O2 -shared -fPIC -ftls-model=initial-exec -o .build/alloccount.so shim/alloccount.c
echo "# stackd-bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## live: raw libzmq vs stackd LiveRunner"
"$BIN" live "$@"
echo
echo "## allocations (LD_PRELOAD counting shim)"
LD_PRELOAD="$PWD/.build/alloccount.so" "$BIN" allocs --transports tcp,ipc
