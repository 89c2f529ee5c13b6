#!/usr/bin/env bash
# Runs every test of stackd on a fresh Debian machine: installs what is missing (idempotent),
# builds, runs the Swift tests (XCTest), the Python client/schema tests (pytest) and the
# reliability suite (pytest against the built daemon: tests/reliability, figures written to
# .build/reliability/summary.{json,md}).
#
# Each test command is bounded in time: a hung test fails the run within the bound and names the
# test that was running, instead of silently consuming a CI budget. Output is line-buffered so
# the log is current when that happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh --for-tests
export OPENBLAS_NUM_THREADS=1

# run_bounded SECONDS LOG COMMAND...: runs COMMAND with a time limit, teeing its output to LOG.
run_bounded() {
  local limit=$1 log=$2; shift 2
  mkdir -p "$(dirname "$log")"
  set +e
  timeout --kill-after=30 "$limit" stdbuf -oL -eL "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "test.sh: '$*' exceeded ${limit}s and was stopped." >&2
    # The XCTest case that started last and never finished, if any.
    local hung
    hung=$(grep -oE "Test Case '[^']+' started" "$log" | tail -1 | cut -d"'" -f2)
    if [ -n "$hung" ] && ! grep -qE "Test Case '$hung' (passed|failed|skipped)" "$log"; then
      echo "test.sh: still running at the limit: $hung" >&2
    fi
  fi
  return "$rc"
}

swift build --build-tests
run_bounded 2400 .build/test-logs/swift-test.log swift test
run_bounded 600 .build/test-logs/pytest.log .venv/bin/python -m pytest -q tests/python
# pytest exits 5 when it collects no test: not a failure of the suite.
run_bounded 900 .build/test-logs/reliability.log \
  bash -c '.venv/bin/python -m pytest -q -p no:cacheprovider tests/reliability; rc=$?; [ "$rc" -eq 5 ] && rc=0; exit "$rc"'
