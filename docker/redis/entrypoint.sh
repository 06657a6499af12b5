#!/bin/sh
# Redis for shared rate limits: nothing persisted; the password reaches redis-server on
# stdin (config file "-"), never on its command line.
set -eu
if [ -z "${REDIS_PASSWORD:-}" ]; then echo "redis: set REDIS_PASSWORD" >&2; exit 1; fi
exec redis-server - --bind "${REDIS_BIND:-0.0.0.0}" --port "${REDIS_PORT:-6379}" \
  --save '' --appendonly no <<CONF
requirepass "$REDIS_PASSWORD"
CONF
