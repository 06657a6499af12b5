#!/usr/bin/env bash
# Create .venv and install the pinned dependency set (requirements.lock) plus miauflix itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.9"
# --compile-bytecode: uv writes no .pyc by default, and where the environment sets
# PYTHONDONTWRITEBYTECODE every process then recompiles what it imports (~20 s for
# great-expectations + pandas + scipy in each `miauflix sync`: benchmarks/README.md).
.venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python -r requirements.lock
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .

# The web client: Debian's chromium (browser tests), node/npm if missing (root only), then
# `npm ci` (skipped while node_modules matches package-lock.json) and the bundle in web/dist.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)  # verifies the Tizen .wgt signatures in tests
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)  # shared rate limits (tests/serve/test_shared_limits.py)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)  # Prefect server for tests/miauflix/test_worker_postgres.py
for tool in podman runc debootstrap podman-compose; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done  # scripts/container-test.sh
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]} (install as root: apt-get install ${missing[*]})" >&2
  fi
fi
if command -v npm >/dev/null 2>&1; then
  (
    cd web
    if ! cmp -s package-lock.json node_modules/.miauflix-installed-lock 2>/dev/null; then
      npm ci --no-audit --no-fund --loglevel=error
      cp package-lock.json node_modules/.miauflix-installed-lock
    fi
    npm run --silent build
  )
fi
