#!/usr/bin/env bash
# The quality bar (bench/QUALITY.md): replays ../shared/data/oos-daily through the live pipeline
# with each configuration and compares the served ensemble with the walk-forward LR reference, the
# class prior and averaging on the reference's held-out rows. The Python side runs in bench/.venv
# (created from bench/requirements.txt on first use; it needs scikit-learn and pandas to call
# ../shared/reference/reference.py). Builds stackd in release first.
# Usage: bench/quality.sh [--config NAME=FILE ...] [--json FILE] [--work DIR] [--data DIR] [--shared DIR]
# (--work keeps the walk-forward LR fits, ~7 min the first time, the outputs and the reports).
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c "import numpy, pandas, sklearn" 2>/dev/null || .venv/bin/pip install -q -r requirements.txt >&2
(cd .. && swift build -c release --product stackd 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true)
echo "# bench/quality.sh, $(date -u +%Y-%m-%dT%H:%MZ), stackd $(git -C .. rev-parse --short HEAD)"
exec .venv/bin/python quality.py "$@"
