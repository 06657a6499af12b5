#!/usr/bin/env bash
# Set up the pinned environment, then run the whole product on loopback (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/miauflix demo "$@"
