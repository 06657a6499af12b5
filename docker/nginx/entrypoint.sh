#!/bin/sh
# Render the nginx configuration from the environment, test it, run nginx in the foreground.
set -eu
: "${MIAUFLIX_SERVER_NAME:=_}"
: "${MIAUFLIX_API_UPSTREAM:=api:8000}"
: "${MIAUFLIX_ENGINE_UPSTREAM:=engine:8001}"
: "${NGINX_HTTP_PORT:=8080}"
: "${NGINX_HTTPS_PORT:=8443}"
: "${NGINX_HTTPS_PUBLIC_PORT:=443}"
export MIAUFLIX_SERVER_NAME MIAUFLIX_API_UPSTREAM MIAUFLIX_ENGINE_UPSTREAM \
  NGINX_HTTP_PORT NGINX_HTTPS_PORT NGINX_HTTPS_PUBLIC_PORT
for pem in fullchain.pem privkey.pem; do
  [ -r "/etc/nginx/certs/$pem" ] || { echo "nginx: /etc/nginx/certs/$pem missing (see docs/deploy.md)" >&2; exit 1; }
done
envsubst '${MIAUFLIX_SERVER_NAME} ${MIAUFLIX_API_UPSTREAM} ${MIAUFLIX_ENGINE_UPSTREAM} ${NGINX_HTTP_PORT} ${NGINX_HTTPS_PORT} ${NGINX_HTTPS_PUBLIC_PORT}' \
  < /etc/nginx/miauflix.conf.template > /tmp/nginx.conf
nginx -t -q -c /tmp/nginx.conf
exec nginx -c /tmp/nginx.conf -g 'daemon off;'
