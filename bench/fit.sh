#!/usr/bin/env bash
# stackd vs scikit-learn (logistic regression at equal objective) and vs Python xgboost, in one
# run, plus the XGBoostCombiner single-row path. Markdown tables on stdout, progress on stderr.
# Needs a venv outside the repo:  python3 -m venv /work/venv-bench && /work/venv-bench/bin/pip install -r bench/requirements.txt
# Usage: bench/fit.sh [fit.py options, e.g. --sizes 10000,100000 --repeats 1 --skip-xgb]
set -euo pipefail
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PYTHON:-/work/venv-bench/bin/python}
swift build -c release 2>&1 | grep -Ev 'prohibited flag|^\[' >&2 || true
BIN=$PWD/.build/release/stackd-bench
echo "# stackd-bench fit, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc --all) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" fit.py --bin "$BIN" --out "${FIT_JSON:-/tmp/stackd-fit/results.json}" "$@"
if [[ " $* " != *" --skip-xgb "* ]]; then
  echo
  echo "### XGBoostCombiner.combine (live single-row path) vs bare XGBoosterPredictFromDense, 33 columns, 100 rounds, ns/row"
  "$BIN" xgb-row --x /tmp/stackd-fit/X.f64 --y /tmp/stackd-fit/y60.i32 --rows 100000 --calls 200000 --repeat 3
fi
