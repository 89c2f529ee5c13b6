#!/usr/bin/env bash
# Runs every test of stackd on a fresh Debian machine: installs what is missing (idempotent),
# builds, runs the Swift tests (XCTest) and the Python client/schema tests (pytest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
export OPENBLAS_NUM_THREADS=1
swift build --build-tests
swift test
.venv/bin/python -m pytest -q tests/python
