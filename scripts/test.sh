#!/usr/bin/env bash
# Set up the pinned environment, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy core miauflix flows warehouse serve engine sandbox
.venv/bin/lint-imports --no-cache
.venv/bin/pytest -q -p no:cacheprovider "$@"
bash scripts/container-test.sh  # docker/: images built, the stack run with podman, checked through nginx
