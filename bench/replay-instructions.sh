#!/usr/bin/env bash
# Instructions executed inside ReplayRunner.run(journal:) for one pass over an oos-daily stream
# (callgrind): a count the shared VM's speed cannot move, to compare two commits of the replay
# path when wall-clock runs swing by a third. Prints the total, the count per event and the
# functions with the most instructions of their own.
#
#   bench/replay-instructions.sh [DATA_DIR] [on|off]     monitors on (default) or off
set -euo pipefail
cd "$(dirname "$0")"
data="${1:-../../shared/data/oos-daily}"
monitoring="${2:-on}"
if ! command -v valgrind >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -qq valgrind >/dev/null
fi
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
# valgrind 3.19 cannot read the DWARF 5 Swift emits: keep the symbols, drop the debug sections.
strip --strip-debug -o .build/stackd-bench-nodebug .build/release/stackd-bench
out=.build/callgrind.replay.out
valgrind --tool=callgrind --callgrind-out-file="$out" \
  '--toggle-collect=$s12StackdReplay0B6RunnerV3run7journal0A6Report0B6ResultV0A7Journal0H6ReaderC_tKF' \
  .build/stackd-bench-nodebug replay --repeat 1 --loops 1 --only journal --monitoring "$monitoring" --data "$data" \
  > .build/callgrind.replay.log 2>&1
callgrind_annotate "$out" > .build/callgrind.replay.txt 2>/dev/null
events=$(sed -nE 's/^loaded ([0-9]+) events.*/\1/p' .build/callgrind.replay.log)
total=$(sed -nE 's/^ *([0-9,]+) .*PROGRAM TOTALS.*/\1/p' .build/callgrind.replay.txt | tr -d ,)
echo "ReplayRunner.run(journal:), monitoring $monitoring: $total instructions for $events events = $((total / events)) per event"
grep -E '^ *[0-9,]+ \(' .build/callgrind.replay.txt | sed -n 2,21p | swift demangle --simplified
