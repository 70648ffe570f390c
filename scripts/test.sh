#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
# Usage: bash scripts/test.sh [pytest args...]      (CI runs it through .ci/run with CI=true)
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing: ${need_apt[*]} (sudo apt-get install -y ${need_apt[*]})" >&2
  fi
fi
# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`): start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi

# --compile-bytecode: machines that set PYTHONDONTWRITEBYTECODE (this one does) would otherwise compile
# numpy, numba, FastAPI... from source in every process (about a second per start)
uv sync --frozen --all-extras --compile-bytecode -q
# TRL reads the exports in tests/exporters/test_trl_load.py; it lives in its own venv (never an Assay dependency)
# with the CPU torch that pip takes from this machine's disk (uv would fetch a multi-GB CUDA build).
export ASSAY_TRL_PYTHON="${ASSAY_TRL_PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/assay-peers/trl/bin/python}"
if [ ! -x "$ASSAY_TRL_PYTHON" ]; then
  trl_venv="$(dirname "$(dirname "$ASSAY_TRL_PYTHON")")"
  python3 -m venv "$trl_venv" && "$trl_venv/bin/pip" install -q torch==2.13.0 \
    && "$trl_venv/bin/pip" install -q trl torch==2.13.0 || echo "could not set up the TRL venv at $trl_venv" >&2
fi
uv run lint-imports
uv run pytest -q -p no:cacheprovider "$@"
