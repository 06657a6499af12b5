#!/bin/sh
# One image, every role: the first argument picks what this container runs.
#   api             the Flask API under gunicorn (`miauflix serve`), MIAUFLIX_HOST/PORT
#   engine          the streaming engine (`miauflix engine`), MIAUFLIX_ENGINE_HOST/PORT
#   prefect-server  the Prefect server/UI (PREFECT_API_DATABASE_CONNECTION_URL: PostgreSQL)
#   worker          serves the scheduled deployments against PREFECT_API_URL (`miauflix worker`)
#   sync            one pipeline run, then exit (`miauflix sync`)
#   anything else   a `miauflix` sub-command (`backup /data/backups`, `admin ...`) or a program
set -eu
role="${1:-api}"
[ $# -gt 0 ] && shift
case "$role" in
  api)
    exec miauflix serve --host "${MIAUFLIX_HOST:-0.0.0.0}" --port "${MIAUFLIX_PORT:-8000}" "$@" ;;
  engine)
    exec miauflix engine --host "${MIAUFLIX_ENGINE_HOST:-0.0.0.0}" --port "${MIAUFLIX_ENGINE_PORT:-8001}" "$@" ;;
  prefect-server)
    exec prefect server start --host "${PREFECT_SERVER_API_HOST:-0.0.0.0}" --port "${PREFECT_SERVER_API_PORT:-4200}" "$@" ;;
  worker)
    exec miauflix worker "$@" ;;
  sync)
    exec miauflix sync "$@" ;;
  -*|demo|serve|keys|backup|restore|admin|tizen)
    exec miauflix "$role" "$@" ;;
  *)
    exec "$role" "$@" ;;
esac
