#!/usr/bin/env bash
# The process-level floor: `stackd run` (release, a separate process, as deployed) against floord, a
# zero-compute C daemon doing the same receive-4-emit-1 job on libzmq with the same wire format,
# sockets, publisher and subscriber (bench/c/loadgen). Within each repeat and transport the two
# daemons alternate (the order flips every repeat), so the shared machine's drift hits both; quote
# the ratios, not the absolute rates. Then instructions per message of each whole daemon process
# (callgrind, all threads, libzmq's I/O thread included), counted from the first measured send to
# the last output (loadgen's hooks switch callgrind's instrumentation on and off), so start-up,
# warm-up and stop are not in it.
#
#   bench/floor.sh [--repeat 3] [--messages 2000000] [--rate 100000] [--latency-messages 400000]
#                  [--transports tcp,ipc] [--instructions 100000 | --no-instructions]
#                  [--no-throughput] [--no-latency] [--daemons stackd,floor,floor-drop]
#
# `stackd-N` in --daemons is stackd with `[ingest] shards = N` (bench/shards.sh).
#
# Prints markdown tables on stdout, progress on stderr. Needs gcc, libzmq3-dev, valgrind.
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
repeat=3; messages=2000000; rate=100000; latency_messages=400000; transports=tcp,ipc
instructions=100000; do_throughput=1; do_latency=1; daemons=stackd,floor
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift ;;
    --messages) messages=$2; shift ;;
    --rate) rate=$2; shift ;;
    --latency-messages) latency_messages=$2; shift ;;
    --transports) transports=$2; shift ;;
    --instructions) instructions=$2; shift ;;
    --no-instructions) instructions="" ;;
    --no-throughput) do_throughput=0 ;;
    --no-latency) do_latency=0 ;;
    --daemons) daemons=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "$*" >&2; }

mkdir -p .build/c
gcc -O2 -Wall -o .build/c/floord c/floord.c -lzmq
gcc -O2 -Wall -o .build/c/loadgen c/loadgen.c -lzmq -lpthread
if [ -z "${STACKD:-}" ]; then
  (cd .. && swift build -c release --product stackd 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true)
  STACKD=../.build/release/stackd
fi
LOADGEN=.build/c/loadgen
work=$(mktemp -d /tmp/stackd-floor.XXXXXX)
daemon_pid=""
cleanup() { [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$((20000 + $$ % 20000))
endpoints() {   # transport → sets IN and OUT (fresh ones each call: no lingering peer)
  port=$((port + 2))
  case "$1" in
    tcp) IN="tcp://127.0.0.1:$port"; OUT="tcp://127.0.0.1:$((port + 1))" ;;
    ipc) IN="ipc://$work/in-$port.ipc"; OUT="ipc://$work/out-$port.ipc" ;;
  esac
}

# The deployed defaults (monitors on, retraining off, metrics endpoint on), HWM 0 so that
# nothing is dropped, and the benchmark's models and horizon. The assembly deadline is 5 s, not
# 50 ms: on this shared VM the ingest thread is sometimes descheduled for more than 50 ms between
# a row's first and last vector, and the row would then go out early (and its last vectors be
# refused as late), a job floord does not do.
write_config() {
  cat > "$work/stackd.toml" <<TOML
[models]
names = ["lgbm", "logreg", "mlp", "xgb"]
classes = 3
[stream]
horizons = [5]
[input]
bind = ["$1"]
receive_hwm = 0
[output]
bind = ["$2"]
encoding = "binary"
send_hwm = 0
[assembly]
min_models = 2
deadline_ms = 5000
[metrics]
address = "127.0.0.1:0"
[log]
level = "warning"
[ingest]
shards = ${3:-1}
TOML
}

# start_daemon NAME IN OUT [wrapper...]: starts it in the background (daemon_pid).
start_daemon() {
  local name=$1 in=$2 out=$3; shift 3
  case "$name" in
    stackd) write_config "$in" "$out"; "$@" "$STACKD" run -c "$work/stackd.toml" 2>"$work/daemon.err" & ;;
    stackd-*) write_config "$in" "$out" "${name#stackd-}"; "$@" "$STACKD" run -c "$work/stackd.toml" 2>"$work/daemon.err" & ;;
    floor) "$@" .build/c/floord --in "$in" --out "$out" 2>"$work/daemon.err" & ;;
    floor-drop) "$@" .build/c/floord --drop --in "$in" --out "$out" 2>"$work/daemon.err" & ;;
  esac
  daemon_pid=$!
}
stop_daemon() {   # SIGTERM, bounded wait, then SIGKILL
  kill -TERM "$daemon_pid" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
}
# run_one DAEMON TRANSPORT LOADGEN-ARGS...: prints loadgen's key=value line.
run_one() {
  local name=$1 transport=$2; shift 2
  endpoints "$transport"
  start_daemon "$name" "$IN" "$OUT"
  local line
  if ! line=$("$LOADGEN" --in "$IN" --out "$OUT" "$@"); then
    log "$name over $transport failed: $line $(cat "$work/daemon.err")"
  fi
  stop_daemon
  echo "$line"
}
field() { sed -nE "s/.*(^| )$1=([^ ]+).*/\2/p" <<<"$2"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s–%s", lo, hi }'; }

IFS=, read -ra transport_list <<<"$transports"
IFS=, read -ra daemon_list <<<"$daemons"
echo "# Process-level floor, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), load before $(cut -d' ' -f1-3 /proc/loadavg)"
echo

results="$work/results.txt"; : > "$results"
for r in $(seq 1 "$repeat"); do
  order=("${daemon_list[@]}")
  if [ $((r % 2)) -eq 0 ]; then order=(); for ((i = ${#daemon_list[@]} - 1; i >= 0; i--)); do order+=("${daemon_list[i]}"); done; fi
  for t in "${transport_list[@]}"; do
    for d in "${order[@]}"; do
      if [ "$do_throughput" = 1 ]; then
        line=$(run_one "$d" "$t" --messages "$messages"); log "repeat $r $t $d flat out: $line"
        echo "tput $t $d $r $(field msg_per_s "$line") $(field outputs "$line") $(field rows "$line")" >> "$results"
      fi
      if [ "$do_latency" = 1 ]; then
        line=$(run_one "$d" "$t" --messages "$latency_messages" --rate "$rate"); log "repeat $r $t $d paced: $line"
        echo "lat $t $d $r $(field p50_us "$line") $(field p99_us "$line") $(field p999_us "$line") $(field achieved_rate "$line")" >> "$results"
      fi
    done
  done
done

if [ "$do_throughput" = 1 ]; then
  echo "## Throughput, flat out ($messages messages, 64 symbols, 4 models, HWM 0; median [range] of $repeat)"
  echo
  echo "| transport | daemon | msg/s | ratio to floor (per repeat, median [range]) | outputs complete |"
  echo "|---|---|---|---|---|"
  for t in "${transport_list[@]}"; do
    for d in "${daemon_list[@]}"; do
      rates=$(awk -v t="$t" -v d="$d" '$1 == "tput" && $2 == t && $3 == d { print $5 }' "$results")
      ratios=$(awk -v t="$t" -v d="$d" '$1 == "tput" && $2 == t { v[$3 " " $4] = $5 } END { for (k in v) { split(k, a, " "); if (a[1] == d && v["floor " a[2]] > 0) print v[k] / v["floor " a[2]] } }' "$results")
      complete=$(awk -v t="$t" -v d="$d" '$1 == "tput" && $2 == t && $3 == d && $6 != $7 { bad++ } END { print bad ? "NO (" bad " runs short)" : "yes" }' "$results")
      printf '| %s | %s | %.3f M [%s k] | %.2f [%s] | %s |\n' "$t" "$d" "$(median <<<"$rates" | awk '{ print $1 / 1e6 }')" \
        "$(awk '{ printf "%.0f\n", $1 / 1e3 }' <<<"$rates" | range)" "$(median <<<"$ratios")" \
        "$(awk '{ printf "%.2f\n", $1 }' <<<"$ratios" | range)" "$complete"
    done
  done
  echo
fi
if [ "$do_latency" = 1 ]; then
  echo "## End-to-end latency at $rate msg/s paced ($latency_messages messages; 4th prediction sent → output received; first 1/8 skipped), µs, median of $repeat"
  echo
  echo "| transport | daemon | p50 | p99 | p99.9 | p50 range | achieved msg/s |"
  echo "|---|---|---|---|---|---|---|"
  for t in "${transport_list[@]}"; do
    for d in "${daemon_list[@]}"; do
      col() { awk -v t="$t" -v d="$d" -v c="$1" '$1 == "lat" && $2 == t && $3 == d { print $c }' "$results"; }
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$d" "$(col 5 | median)" "$(col 6 | median)" "$(col 7 | median)" \
        "$(col 5 | range)" "$(col 8 | median)"
    done
  done
  echo
fi

if [ -n "$instructions" ]; then
  # valgrind 3.19 cannot read the DWARF 5 Swift emits: keep the symbols, drop the debug sections.
  strip --strip-debug -o "$work/stackd-nodebug" "$STACKD"
  STACKD_SAVED=$STACKD; STACKD="$work/stackd-nodebug"
  echo "## Instructions per message (callgrind, whole daemon process: every thread, libzmq's I/O thread included; ipc, flat out, $instructions measured messages; instrumentation on only from the first measured send to the last output)"
  echo
  echo "| daemon | instructions | messages | per message | ratio to floor | per message without the 100-ms snapshot | ratio to floor |"
  echo "|---|---|---|---|---|---|---|"
  declare -A per total lean
  for d in "${daemon_list[@]}"; do
    endpoints ipc
    out=".build/callgrind.floor.$d.out"
    start_daemon "$d" "$IN" "$OUT" valgrind --tool=callgrind --callgrind-out-file="$out" --instr-atstart=no
    line=$("$LOADGEN" --in "$IN" --out "$OUT" --messages "$instructions" --timeout 120 \
      --hook-start "callgrind_control -i on $daemon_pid >/dev/null" --hook-end "callgrind_control -i off $daemon_pid >/dev/null") \
      || log "$d under callgrind failed: $line $(cat "$work/daemon.err")"
    stop_daemon
    log "callgrind $d: $line"
    total[$d]=$(callgrind_annotate "$out" 2>/dev/null | sed -nE 's/^ *([0-9,]+) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    per[$d]=$(( total[$d] / instructions ))
    # stackd's snapshot runs every 100 ms of wall time: callgrind's ~50× slow motion multiplies
    # its share per message, so it is also shown apart (0 for floord, which has none).
    snap=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | swift demangle --simplified \
      | sed -nE 's/^ *([0-9,]+) .*(LiveRunner\.publishSnapshot|LiveRunner\.publishMergedSnapshot|PipelineShard\.publishSnapshot).*/\1/p' \
      | tr -d , | awk '{ s += $1 } END { print s + 0 }')
    lean[$d]=$(( (total[$d] - ${snap:-0}) / instructions ))
  done
  for d in "${daemon_list[@]}"; do
    ratio=$(awk -v a="${per[$d]}" -v b="${per[floor]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }')
    ratio2=$(awk -v a="${lean[$d]}" -v b="${lean[floor]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }')
    echo "| $d | ${total[$d]} | $instructions | ${per[$d]} | $ratio | ${lean[$d]} | $ratio2 |"
  done
  echo
  echo "Top functions by own instructions (bench/.build/callgrind.floor.DAEMON.out):"
  for d in "${daemon_list[@]}"; do
    echo; echo "### $d"; echo; echo '```'
    callgrind_annotate ".build/callgrind.floor.$d.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n 2,31p | swift demangle --simplified
    echo '```'
  done
  STACKD=$STACKD_SAVED
fi
