#!/usr/bin/env bash
# The ingest pause of a retrain request at a full window (default 100 000 rows): the snapshot and
# the first append after it. Builds a release binary of the window alone (no package build).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swiftc -O -module-name WindowPause Sources/StackdCore/Scoring/OutOfSampleWindow.swift bench/window-pause/main.swift -o "$out/window-pause"
"$out/window-pause" "${1:-100000}"
