#!/usr/bin/env bash
# Checks that systemd/stackd.service's SystemCallFilter= allows every system call stackd makes.
#
# The unit's SystemCallFilter= lines are read in order and expanded with systemd's own tables
# (`systemd-analyze syscall-filter @group`, recursively), then merged the way systemd.exec(5)
# documents: the first line sets the mode (an allow list here), later lines add (`name`) or remove
# (`~name`) calls. Every call in the lists given (or traced) must be in the result; a call outside
# it fails with EPERM under the unit (SystemCallErrorNumber=EPERM), which libzmq, for one, turns
# into an abort (it asserts on pthread_setschedparam, i.e. sched_setscheduler).
#
#   check-syscalls.sh [FILE...]               calls listed one per line (# comments) in FILE
#                                             (default: systemd/syscalls-needed.txt)
#   check-syscalls.sh --trace COMMAND [ARG...] also the calls COMMAND makes under `strace -f`
#
# Environment: UNIT=path to check another unit file (default: systemd/stackd.service).
# Exit codes: 0 every call allowed; 1 some call denied (listed); 77 systemd-analyze (or, with
# --trace, strace) unavailable. Last line on success: "syscall filter: N calls checked, all allowed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
unit="${UNIT:-$here/stackd.service}"
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze unavailable" >&2; exit 77; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- expand a name: a call, or a @group expanded recursively with systemd's tables ----------------
expand() {
    local name="$1" members member
    if [[ "$name" != @* ]]; then echo "$name"; return; fi
    members="$(systemd-analyze syscall-filter --no-pager "$name" </dev/null | sed -nE 's/^    ([@a-z0-9_-]+)$/\1/p')"
    [[ -n "$members" ]] || { echo "FAIL: systemd-analyze knows no group $name" >&2; exit 1; }
    for member in $members; do expand "$member"; done
}

# --- the unit's effective allow list ---------------------------------------------------------
filters="$(sed -nE 's/^SystemCallFilter=(.*)$/\1/p' "$unit")"
[[ -n "$filters" ]] || { echo "FAIL: $unit has no SystemCallFilter=" >&2; exit 1; }
: > "$work/allowed"
first=1
while read -r line; do
    deny=0
    if [[ "$line" == "~"* ]]; then deny=1; line="${line#\~}"; fi
    if [[ $first -eq 1 && $deny -eq 1 ]]; then
        echo "FAIL: the first SystemCallFilter= of $unit is a deny list; this check expects an allow list" >&2
        exit 1
    fi
    first=0
    for name in $line; do expand "$name"; done | sort -u > "$work/names"
    if [[ $deny -eq 1 ]]; then
        comm -23 "$work/allowed" "$work/names" > "$work/next"
    else
        sort -u "$work/allowed" "$work/names" > "$work/next"
    fi
    mv "$work/next" "$work/allowed"
done <<<"$filters"

# --- the calls stackd needs ------------------------------------------------------------------
: > "$work/needed"
if [[ "${1:-}" == "--trace" ]]; then
    shift
    command -v strace >/dev/null 2>&1 || { echo "SKIP: strace unavailable" >&2; exit 77; }
    strace -f -qq -o "$work/trace" "$@" >"$work/trace.out" 2>&1 || {
        echo "FAIL: traced command failed: $*" >&2; tail -n 20 "$work/trace.out" >&2; exit 1; }
    # "PID name(args) = result": the name, from every line that starts a call.
    sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$work/trace" >> "$work/needed"
    set -- "$here/syscalls-needed.txt"
fi
[[ $# -gt 0 ]] || set -- "$here/syscalls-needed.txt"
for list in "$@"; do sed -E 's/#.*//; s/[[:space:]]+//g; /^$/d' "$list" >> "$work/needed"; done
sort -u -o "$work/needed" "$work/needed"

# Denied on purpose, and tolerated by their callers (stackd.service comments say why):
# mbind: OpenBLAS asks for NUMA placement of each buffer it maps and ignores EPERM.
tolerated="mbind"
tr ' ' '\n' <<<"$tolerated" | sort -u > "$work/tolerated"
comm -23 "$work/needed" "$work/tolerated" > "$work/must-pass"
denied="$(comm -23 "$work/must-pass" <(sort -u "$work/allowed"))"
if [[ -n "$denied" ]]; then
    echo "FAIL: $(basename "$unit") denies (EPERM) calls stackd makes:" >&2
    echo "$denied" | sed 's/^/  /' >&2
    exit 1
fi
echo "syscall filter: $(wc -l < "$work/must-pass") calls checked, all allowed (denied on purpose: $tolerated)"
