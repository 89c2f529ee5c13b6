#!/usr/bin/env bash
# stackd vs scikit-learn (logistic regression at equal objective) and vs Python xgboost, in one
# run, plus the XGBoostCombiner single-row path. Markdown tables on stdout, progress on stderr.
# The Python side runs in bench/.venv, created and filled from bench/requirements.txt on first use
# (idempotent; PYTHON=/path/to/python overrides it).
# Usage: bench/fit.sh [fit.py options, e.g. --sizes 10000,100000 --repeats 1 --skip-xgb]
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -c "import numpy, sklearn, xgboost, threadpoolctl" 2>/dev/null || .venv/bin/pip install -q -r requirements.txt >&2
  PY=$PWD/.venv/bin/python
fi
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
BIN=$PWD/.build/release/stackd-bench
echo "# stackd-bench fit, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc --all) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" fit.py --bin "$BIN" --out "${FIT_JSON:-/tmp/stackd-fit/results.json}" "$@"
if [[ " $* " != *" --skip-xgb "* ]]; then
  echo
  echo "### XGBoostCombiner.combine (live single-row path) vs bare XGBoosterPredictFromDense, 33 columns, 100 rounds, ns/row"
  "$BIN" xgb-row --x /tmp/stackd-fit/X.f64 --y /tmp/stackd-fit/y60.i32 --rows 100000 --calls 200000 --repeat 3
fi
