#!/usr/bin/env bash
# Installs what stackd needs on a Debian machine: native libraries (apt) and a Python
# virtual environment for the client tests and reference scripts. Idempotent: a second
# run does nothing when everything is present.
#
#   scripts/install-deps.sh              what building and running stackd needs
#   scripts/install-deps.sh --for-tests  also what the tests use: Chromium (renders the backtest
#                                        report), systemd's offline unit checker, promtool (Debian's
#                                        prometheus package) for the alerting rules, strace (the
#                                        system calls the unit must allow) and numpy for
#                                        scripts/verify_backtest.py
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt_packages=(pkg-config libzmq3-dev libopenblas-dev liblz4-dev libxgboost-dev libsystemd-dev python3-venv)
if [ "${1:-}" = "--for-tests" ]; then
  apt_packages+=(chromium systemd prometheus strace python3-numpy)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--for-tests]" >&2
  exit 2
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python environment for pyzmq client tests and fixture scripts (not needed by the daemon).
if [ "${STACKD_SKIP_PYTHON:-0}" != "1" ]; then
  venv="$here/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c "import zmq, jsonschema, pytest, prometheus_client" 2>/dev/null; then
    "$venv/bin/pip" install -q -r "$here/scripts/requirements-test.txt"
  fi
  # The Python client (clients/python), editable: the environment always runs the working tree's client.
  if ! "$venv/bin/pip" show -q stackd-client >/dev/null 2>&1; then
    "$venv/bin/pip" install -q -e "$here/clients/python"
  fi
fi
