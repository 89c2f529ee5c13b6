#!/usr/bin/env bash
# `stackd replay` of the oos-daily stream as a user runs it (release binary, retraining off), with
# the drift and calibration monitors on and off, interleaved within each repeat: events/s as the
# command reports them (ingest only: CSV loading and the up-front encoding of the events excluded)
# and base-model messages/s (= × the prediction share of the events). Then instructions per event inside ReplayRunner.run(events:)
# (callgrind), monitors on and off: a count the shared VM's speed cannot move.
#
#   bench/replay-cli.sh [--repeat 5] [--data ../../shared/data/oos-daily] [--no-instructions]
set -euo pipefail
cd "$(dirname "$0")"
repeat=5; do_instructions=1
data=../../shared/data/oos-daily; [ -d "$data" ] || data=../../../shared/data/oos-daily   # main or a worktree
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift ;;
    --data) data=$2; shift ;;
    --no-instructions) do_instructions=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${STACKD:-}" ]; then
  (cd .. && swift build -c release --product stackd 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true)
  STACKD=../.build/release/stackd
fi
work=$(mktemp -d /tmp/stackd-replay.XXXXXX)
trap 'rm -rf "$work"' EXIT
for m in on off; do
  enabled=true; [ "$m" = off ] && enabled=false
  cat > "$work/$m.toml" <<TOML
[models]
names = ["lgbm", "logreg", "mlp", "xgb"]
classes = 3
[stream]
horizons = [5, 10, 15, 20]
[input]
bind = ["tcp://127.0.0.1:5555"]
[output]
bind = ["tcp://127.0.0.1:5556"]
encoding = "binary"
[assembly]
min_models = 2
[monitoring]
enabled = $enabled
[log]
level = "warning"
TOML
done
predictions=$(cat "$data"/preds_h*.csv | grep -vc '^timestamp')
labels=$(cat "$data"/labels_h*.csv | grep -vc '^timestamp')
share=$(awk -v p="$predictions" -v l="$labels" 'BEGIN { print p / (p + l) }')
echo "# stackd replay (CLI, run(events:)), $(date -u +%Y-%m-%dT%H:%MZ), load before $(cut -d' ' -f1-3 /proc/loadavg)"
echo
: > "$work/rates"
for r in $(seq 1 "$repeat"); do
  order="on off"; [ $((r % 2)) -eq 0 ] && order="off on"
  for m in $order; do
    line=$("$STACKD" replay "$data" -c "$work/$m.toml" --quiet | grep -E 'events: ingest')
    echo "replay $r monitors $m: $line" >&2
    echo "$m $(sed -nE 's/.*\(([0-9]+) events\/s\).*/\1/p' <<<"$line")" >> "$work/rates"
  done
done
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "| monitors | M events/s median [range] of $repeat | base-model msg/s (× $share) | vs 2 M |"
echo "|---|---|---|---|"
for m in on off; do
  vals=$(awk -v m="$m" '$1 == m { print $2 }' "$work/rates")
  med=$(median <<<"$vals")
  printf '| %s | %.3f [%s] | %.2f M | %.2f× |\n' "$m" "$(awk -v x="$med" 'BEGIN { print x / 1e6 }')" \
    "$(sort -g <<<"$vals" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo / 1e6, hi / 1e6 }')" \
    "$(awk -v x="$med" -v s="$share" 'BEGIN { print x * s / 1e6 }')" "$(awk -v x="$med" -v s="$share" 'BEGIN { print x * s / 2e6 }')"
done
echo
if [ "$do_instructions" = 1 ]; then
  # valgrind 3.19 cannot read the DWARF 5 Swift emits: keep the symbols, drop the debug sections.
  strip --strip-debug -o "$work/stackd-nodebug" "$STACKD"
  symbol=$(nm "$work/stackd-nodebug" | awk '{ print $NF }' | grep -E '^\$s12StackdReplay0B6RunnerV3run6events' | grep -Ev 'TQ|Tf|Tm|Tr' | head -1)
  echo "| monitors | instructions in ReplayRunner.run(events:) | events | per event | per base-model message |"
  echo "|---|---|---|---|---|"
  for m in on off; do
    out=".build/callgrind.replay-cli.$m.out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "--toggle-collect=$symbol" \
      "$work/stackd-nodebug" replay "$data" -c "$work/$m.toml" --quiet > "$work/cg.log" 2>&1
    total=$(callgrind_annotate "$out" 2>/dev/null | sed -nE 's/^ *([0-9,]+) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    events=$((predictions + labels))
    echo "| $m | $total | $events | $((total / events)) | $((total / predictions)) |"
  done
  echo
  echo "Top functions, monitors on (bench/.build/callgrind.replay-cli.on.out):"
  echo; echo '```'
  callgrind_annotate .build/callgrind.replay-cli.on.out 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n 2,21p | swift demangle --simplified | cut -c1-160
  echo '```'
fi
