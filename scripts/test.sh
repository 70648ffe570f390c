#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run the whole suite.
# Usage: bash scripts/test.sh [pytest args...]      (CI runs it through .ci/run with CI=true)
# The fast loop while working is `uv run pytest -m "not slow"` (docs/dev.md); this script runs everything.
#
# Each step says what it is doing and how far the script has got ("[3/7] ..."). A peer venv (a separate
# Python environment a test drives, e.g. TRL's) counts as ready only when its `.assay-ready` marker holds
# the exact package list it was built with; the marker is written last, after a successful install, so a
# venv left half-built by an interrupted run (bin/python present, packages missing) is built again.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

STEPS=8
step_no=0
step_started=$SECONDS
step() {  # step "what is happening"
  if [ "$step_no" -gt 0 ]; then echo "      done in $((SECONDS - step_started)) s"; fi
  step_no=$((step_no + 1))
  step_started=$SECONDS
  echo "[$step_no/$STEPS] $*"
}

step "uv (the package manager)"
if command -v uv >/dev/null 2>&1; then
  echo "      found $(uv --version)"
else
  echo "      installing uv with pip ..."
  python3 -m pip install -q uv
fi

step "system packages the tests drive: Chromium (browser tests), bubblewrap (sandbox tests)"
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
if [ ${#need_apt[@]} -eq 0 ]; then
  echo "      all present"
elif [ "$(id -u)" = 0 ]; then
  echo "      apt-get install ${need_apt[*]} ..."
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
else
  echo "      missing: ${need_apt[*]} (sudo apt-get install -y ${need_apt[*]})" >&2
fi

step "code-task toolchains: node, g++, OpenSSL/Boost headers, TypeScript from npm (scripts/toolchains.sh)"
bash scripts/toolchains.sh

step "PostgreSQL on 127.0.0.1:5432 (trust auth, database 'test')"
# Start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "      starting the local cluster ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "      up"
else
  echo "      not reachable: the postgres tests will say so (and fail under CI=true)" >&2
fi

step "uv sync --frozen --all-extras (the project's venv, .venv)"
# --compile-bytecode: machines that set PYTHONDONTWRITEBYTECODE (this one does) would otherwise compile
# numpy, numba, FastAPI... from source in every process (about a second per start)
uv sync --frozen --all-extras --compile-bytecode -q

# peer_venv DIR PACKAGES...: make a venv at DIR with PACKAGES pip-installed (in order, one pip call per
# argument), unless DIR/.assay-ready already names exactly these packages. Returns non-zero on failure
# (the half-built venv is removed so that the next run starts clean).
peer_venv() {
  local dir=$1; shift
  local want="$*"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.assay-ready" 2>/dev/null)" = "$want" ]; then
    echo "      ready at $dir (${want})"
    return 0
  fi
  if [ -e "$dir" ]; then
    echo "      $dir is incomplete or was built for other packages: building it again"
    rm -rf "$dir"
  fi
  python3 -m venv "$dir" || { rm -rf "$dir"; return 1; }
  local pkgs log="$dir/.pip.log"
  for pkgs in "$@"; do
    echo "      pip install $pkgs ..."
    # shellcheck disable=SC2086  # each argument is a space-separated package list
    if ! "$dir/bin/pip" install --progress-bar off --disable-pip-version-check $pkgs 2>&1 | tee -a "$log" \
        | { grep --line-buffered -E '^(Collecting|Successfully installed)' | sed -u 's/^/        /' || true; }; then
      tail -n 20 "$log" >&2
      rm -rf "$dir"
      return 1
    fi
  done
  printf '%s' "$want" > "$dir/.assay-ready"
}

# TRL reads the exports in tests/exporters/test_trl_load.py; it lives in its own venv (never an Assay
# dependency) with the CPU torch that pip takes from this machine's disk (uv would fetch a multi-GB CUDA build).
step "the TRL venv for tests/exporters/test_trl_load.py (about 1.5 GB, built once)"
if [ -n "${ASSAY_TRL_PYTHON:-}" ]; then
  echo "      using ASSAY_TRL_PYTHON=$ASSAY_TRL_PYTHON as given"
else
  trl_venv="${XDG_CACHE_HOME:-$HOME/.cache}/assay-peers/trl"
  export ASSAY_TRL_PYTHON="$trl_venv/bin/python"
  peer_venv "$trl_venv" "torch==2.13.0" "trl torch==2.13.0" \
    || echo "      could not set up the TRL venv at $trl_venv (test_trl_load will say so)" >&2
fi

step "import contracts (lint-imports)"
uv run lint-imports

# Two pytest-xdist workers (the machine's two cores; ASSAY_TEST_WORKERS=1 runs them in one process). Each
# worker has its own PostgreSQL schema and data folders; the sandbox's tests run in one worker, one after
# another (tests/conftest.py, SANDBOX_PATHS).
workers=${ASSAY_TEST_WORKERS:-2}
step "the whole test suite in $workers worker(s) (pytest ${*:-})"
if [ "$workers" -gt 1 ]; then
  uv run pytest -q -p no:cacheprovider -n "$workers" "$@"
else
  uv run pytest -q -p no:cacheprovider "$@"
fi
