#!/usr/bin/env bash
# In-process shards (`ingest.shards = N`) on this machine: `stackd run` with N = 1 and N = 2 side by
# side with the zero-compute floor daemon (bench/c/floord.c), fed by bench/c/loadgen (4 models,
# 64 symbols, receive-4-emit-1, the daemon's input binds, so N = 2 runs the receive thread and one
# ring per pipeline); then instructions per message of every thread of the daemon under callgrind
# (--separate-threads), which gives the per-pipeline cost that predicts a larger N.
#
#   bench/shards.sh [--repeat 3] [--messages 2000000] [--instructions 100000] [--shards 2]
#                   [--record] [--instructions-only]
#
# --record adds N = 1 and N = shards with `[record] directory` set to the instruction counts (with
# N > 1 the receive thread copies each message into the journal's queue; the journal writer is a
# thread of its own); --instructions-only skips the throughput and latency part.
#
# Throughput and latency come from bench/floor.sh (same method: alternating daemons, ratios to
# the floor per repeat). Prints markdown on stdout, progress on stderr. Needs gcc, libzmq3-dev,
# valgrind, a release build (built here unless STACKD is set).
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
repeat=3; messages=2000000; instructions=100000; shards=2; record=0; throughput=1
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift ;;
    --messages) messages=$2; shift ;;
    --instructions) instructions=$2; shift ;;
    --shards) shards=$2; shift ;;
    --record) record=1 ;;
    --instructions-only) throughput=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "$*" >&2; }
if [ -z "${STACKD:-}" ]; then
  (cd .. && swift build -c release --product stackd 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true)
  export STACKD=../.build/release/stackd
fi

# 1. Throughput flat out and paced latency, N = 1, N = shards and the floor, alternating.
if [ "$throughput" = 1 ]; then
  bash ./floor.sh --repeat "$repeat" --messages "$messages" --transports ipc --no-instructions \
    --daemons "stackd,stackd-$shards,floor"
fi

# 2. Instructions per message, per thread.
mkdir -p .build/c
gcc -O2 -Wall -o .build/c/loadgen c/loadgen.c -lzmq -lpthread
work=$(mktemp -d /tmp/stackd-shards.XXXXXX)
daemon_pid=""
cleanup() { [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
strip --strip-debug -o "$work/stackd-nodebug" "$STACKD"

# role FILE: which thread a per-thread callgrind file is, from the functions it ran.
role() {
  local listing
  listing=$(callgrind_annotate --inclusive=yes "$1" 2>/dev/null | swift demangle --simplified)
  for pattern in "ShardReceiver.run:receive" "PipelineShard.run:pipeline" "OutputForwarder.run:forwarder" \
                 "LiveRunner.ingestLoop:ingest (N = 1)" "LiveRunner.coordinate:coordinator" \
                 "JournalRecorder:journal writer" \
                 "MetricsServer:metrics" "TrainingWorker:training" "zmq::epoll_t::loop:libzmq I/O" \
                 "zmq::reaper_t:libzmq reaper"; do
    if grep -q "${pattern%%:*}" <<<"$listing"; then echo "${pattern#*:}"; return; fi
  done
  echo "main/other"
}

echo "## Instructions per message by thread (callgrind --separate-threads; ipc, flat out, $instructions measured messages, 4 per row)"
echo
# mallocs FILE: calls to malloc made by the thread of FILE while instrumentation was on, as
# "from libzmq / from everything else" (the callers listed above malloc in callgrind's caller tree).
mallocs() {
  callgrind_annotate --tree=caller "$1" 2>/dev/null | awk '
    /^ *[0-9,]+ .*< / { callers[++n] = $0; next }
    /\*  .*malloc\.c:malloc / { for (i = 1; i <= n; i++) { if (match(callers[i], /\(([0-9,]+)x\)/)) {
        c = substr(callers[i], RSTART + 1, RLENGTH - 3); gsub(",", "", c)
        if (callers[i] ~ /libzmq/) z += c; else o += c } } }
    /^$/ { n = 0 }
    END { printf "%d / %d", z, o }'
}

echo "| N | thread | instructions | per input message | malloc calls: from libzmq / from stackd and the rest |"
echo "|---|---|---|---|---|"
configs=(1 "$shards")
[ "$record" = 1 ] && configs+=(1r "${shards}r")
for config in "${configs[@]}"; do
  n=${config%r}
  label=$n
  recording=""
  if [ "$config" != "$n" ]; then
    label="$n + [record]"
    recording=$'[record]\ndirectory = "'"$work/journal-$n"'"'
  fi
  IN="ipc://$work/in-$config.ipc"; OUT="ipc://$work/out-$config.ipc"
  cat > "$work/stackd.toml" <<TOML
[models]
names = ["lgbm", "logreg", "mlp", "xgb"]
[stream]
horizons = [5]
[input]
bind = ["$IN"]
receive_hwm = 0
[output]
bind = ["$OUT"]
send_hwm = 0
[assembly]
min_models = 2
deadline_ms = 5000
[metrics]
address = "127.0.0.1:0"
[log]
level = "warning"
[ingest]
shards = $n
$recording
TOML
  out="$work/callgrind.$config.out"
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" --instr-atstart=no \
    "$work/stackd-nodebug" run -c "$work/stackd.toml" 2>"$work/daemon.err" &
  daemon_pid=$!
  line=$(.build/c/loadgen --in "$IN" --out "$OUT" --messages "$instructions" --timeout 300 \
    --hook-start "callgrind_control -i on $daemon_pid >/dev/null" --hook-end "callgrind_control -i off $daemon_pid >/dev/null") \
    || log "N = $label under callgrind failed: $line $(cat "$work/daemon.err")"
  log "callgrind N = $label: $line"
  kill -TERM "$daemon_pid" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""
  sum=0
  for f in "$out"-*; do
    total=$(callgrind_annotate "$f" 2>/dev/null | sed -nE 's/^ *([0-9,]+) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    [ -z "$total" ] || [ "$total" = 0 ] && continue
    sum=$((sum + total))
    echo "| $label | $(role "$f") ($(basename "$f" | sed 's/.*-//')) | $total | $((total / instructions)) | $(mallocs "$f") |"
  done
  echo "| $label | **whole process** | $sum | **$((sum / instructions))** | |"
  cp "$out"-* .build/ 2>/dev/null || true
done
echo
