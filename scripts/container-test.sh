#!/usr/bin/env bash
# Container test: build the images of docker/ and run the stack for real with podman, then
# check it from outside through nginx over TLS:
#   - every container's own HEALTHCHECK passes, and the API, engine and Prefect health
#     endpoints answer (the first two through nginx, HTTP/2, with HSTS);
#   - the worker has registered the scheduled deployments with the Prefect server (PostgreSQL);
#   - a sign-in through nginx works and its rate-limit counter lands in Redis;
#   - a stream's byte ranges through nginx: 206, the right Content-Range, the same bytes the
#     engine itself serves;
#   - the VPN sidecar arrangement: an engine in a tunnel's network namespace with
#     MIAUFLIX_REQUIRE_VPN=true routes through tun0, one without a tunnel refuses torrents.
# The catalog comes from a one-off `sync` container reading the sandbox's fake TMDB/YTS, and
# the stream from the sandbox's BitTorrent seeder (both in a container of the same image).
#
# Part 1 uses host networking on loopback ports chosen free at start, because the sandbox
# (fake upstream, seeder) listens on loopback, which bridge networks cannot reach. Part 2 then
# runs docker/compose.yaml itself (podman-compose, bridge network, ports published on
# 127.0.0.1) and checks health, the worker, and a sign-in through nginx whose client address
# reaches the rate limiter through the trusted-proxy setting. Everything the test creates
# is removed on exit, failure included; container logs are printed on failure. Runs as root.
# No registry is needed: a missing debian:bookworm-slim is made with debootstrap (cached).
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$SECONDS

say() { printf '[container-test %3ds] %s\n' "$((SECONDS - T0))" "$*"; }
die() { say "FAIL: $*" >&2; exit 1; }

for tool in podman podman-compose runc debootstrap openssl curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (scripts/setup.sh installs it as root)"
done
[ "$(id -u)" = 0 ] || die "run as root (rootful podman)"

RUN=mfxct$$
WORK=$(mktemp -d "/tmp/miauflix-ct.$RUN.XXXXXX")
chmod 0755 "$WORK"
PROJ=${RUN}c  # the compose project of part 2
BASE=docker.io/library/debian:bookworm-slim
IMG=localhost/miauflix:container-test
# crun refuses this machine's hybrid cgroups and rlimits: runc + cgroupfs, no default ulimits.
cat > "$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"

cleanup() {
  local status=$?
  set +e
  local names
  names=$(
    podman ps -a --filter "label=miauflix-test=$RUN" --format '{{.Names}}' 2>/dev/null
    podman ps -a --filter "label=io.podman.compose.project=$PROJ" --format '{{.Names}}' 2>/dev/null
  )
  if [ "$status" != 0 ]; then
    for name in $names; do
      echo "----- logs of $name (last 60 lines) -----" >&2
      podman logs --tail 60 "$name" >&2 2>&1
    done
  fi
  # -v: anonymous volumes too. Twice: a container whose namespace another one shares (the
  # VPN stand-in) is refused until that one is gone.
  [ -n "$names" ] && podman rm -f -v -t 5 $names >/dev/null 2>&1
  [ -n "$names" ] && podman rm -f -v -t 5 $names >/dev/null 2>&1
  podman volume ls -q --filter "label=miauflix-test=$RUN" 2>/dev/null | xargs -r podman volume rm -f >/dev/null 2>&1
  podman volume ls -q --filter "label=io.podman.compose.project=$PROJ" 2>/dev/null \
    | xargs -r podman volume rm -f >/dev/null 2>&1
  podman network rm -f "${PROJ}_default" >/dev/null 2>&1
  rm -rf "$WORK"
  say "cleaned up (exit $status)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of an earlier run that was SIGKILLed (its shell is gone): remove them.
for label in $(podman ps -a --format '{{index .Labels "miauflix-test"}}' 2>/dev/null | sort -u); do
  pid=${label#mfxct}
  if [ -n "$pid" ] && [ "$pid" != "$label" ] && ! kill -0 "$pid" 2>/dev/null; then
    say "removing the leftovers of run $label"
    podman ps -a -q --filter "label=miauflix-test=$label" | xargs -r podman rm -f -v -t 0 >/dev/null 2>&1
    podman ps -a -q --filter "label=io.podman.compose.project=${label}c" | xargs -r podman rm -f -v -t 0 >/dev/null 2>&1
    podman volume ls -q --filter "label=miauflix-test=$label" | xargs -r podman volume rm -f >/dev/null 2>&1
    podman volume ls -q --filter "label=io.podman.compose.project=${label}c" | xargs -r podman volume rm -f >/dev/null 2>&1
    podman network rm -f "${label}c_default" >/dev/null 2>&1 || true
    rm -rf "/tmp/miauflix-ct.$label."*
  fi
done

# --- images ------------------------------------------------------------------------------
if ! podman image exists "$BASE"; then
  say "no $BASE: debootstrap --variant=minbase bookworm (about 2 minutes, cached afterwards)"
  MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
  timeout 900 debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  tar -C "$WORK/rootfs" -c . | podman import -q - localhost/debian-min:bookworm >/dev/null
  podman tag localhost/debian-min:bookworm "$BASE"
  rm -rf "$WORK/rootfs"
fi
build() {  # build <tag> <dockerfile>
  local args=(--format docker --pull=never --network host -q -t "$1" -f "$2")
  # A TLS-intercepting proxy's CA (the host's bundle) for pip and npm inside the build.
  [ -r /etc/ssl/certs/ca-certificates.crt ] && args+=(-v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro)
  # Once more on failure: a registry hiccup while fetching packages must not fail the test.
  timeout 1500 podman build "${args[@]}" . >"$WORK/build.log" 2>&1 \
    || timeout 1500 podman build "${args[@]}" . >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; die "podman build of $2 failed"; }
}
say "building images (layers cached between runs)"
build "$IMG" docker/Dockerfile
build localhost/miauflix-nginx:container-test docker/nginx/Dockerfile
build localhost/miauflix-postgres:container-test docker/postgres/Dockerfile
build localhost/miauflix-redis:container-test docker/redis/Dockerfile
say "images built"

# --- ports, secrets, TLS ----------------------------------------------------------------
read -r P_API P_ENGINE P_PREFECT P_PG P_REDIS P_HTTPS P_HTTP P_BT C_HTTPS C_HTTP C_PREFECT \
  < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(11):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
EOF
)
PG_PASSWORD=$(openssl rand -hex 16)
REDIS_PASSWORD=$(openssl rand -hex 16)
ADMIN_EMAIL=admin@container.test
ADMIN_PASSWORD=$(openssl rand -hex 12)
mkdir -p "$WORK/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/certs/privkey.pem" -out "$WORK/certs/fullchain.pem" >/dev/null 2>&1
chmod 0644 "$WORK/certs/privkey.pem"  # read by nginx's unprivileged user, in a private temp dir
CA="$WORK/certs/fullchain.pem"
PUBLIC="https://localhost:$P_HTTPS"

for vol in data sandbox pg; do
  podman volume create --label "miauflix-test=$RUN" "$RUN-$vol" >/dev/null
done

run() {  # run <name> <image> [podman options...] -- [command...]
  local name=$1 image=$2
  shift 2
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  # Health checks are run on demand below (no systemd timers here): podman's complaint about
  # the missing systemd goes to a log that is shown only if the start fails.
  podman run -d --name "$RUN-$name" --label "miauflix-test=$RUN" --network host --health-interval=disable \
    "${opts[@]}" "$image" "$@" >/dev/null 2>"$WORK/run-$name.err" \
    || { cat "$WORK/run-$name.err" >&2; die "podman run $name failed"; }
}

# wait_for <what> <seconds> <command...>: poll until the command succeeds, bounded.
wait_for() {
  local what=$1 limit=$2
  shift 2
  local end=$((SECONDS + limit)) delay=0.2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || die "$what not ready after ${limit}s"
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { d *= 1.5; print (d > 2 ? 2 : d) }')
  done
  say "$what ready"
}
running() { [ "$(podman inspect -f '{{.State.Running}}' "$RUN-$1")" = true ]; }
healthy() {  # a container that exited will not become healthy: fail at once
  running "$1" || die "the $1 container exited"
  podman healthcheck run "$RUN-$1"
}

# --- sandbox: fake TMDB/YTS + the BitTorrent seeder of the demo videos ---------------------
say "starting the sandbox (fake upstream + seeder)"
run sandbox "$IMG" -v "$RUN-sandbox:/data" -e MIAUFLIX_SANDBOX_MOVIES=60 -- \
  python -c '
import json, os, signal, threading
from contextlib import ExitStack
from core.atomic import write_atomic
from core.settings import load_settings
from miauflix.demo import start_sandbox
settings = load_settings()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with ExitStack() as stack:
    started = start_sandbox(settings, stack)
    keys = ("upstream", "seeder", "playable", "tracker")
    if isinstance(started, tuple):  # older demo: (upstream, seeder, playable)
        info = dict(zip(keys, started))
    else:
        info = {key: getattr(started, key, None) for key in keys}
    info.setdefault("tracker", None)
    write_atomic(settings.data_dir / "sandbox.json", json.dumps(info).encode())
    stop.wait()
'
sandbox_info() {
  running sandbox || die "the sandbox container exited"
  podman exec "$RUN-sandbox" cat /data/sandbox.json
}
wait_for "sandbox" 600 sandbox_info
INFO=$(sandbox_info)
UPSTREAM=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["upstream"])' "$INFO")
SEEDER=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seeder"])' "$INFO")
MOVIE=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["playable"][0])' "$INFO")
TRACKER=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["tracker"] or "")' "$INFO")

# The settings every Miauflix role gets (as compose.yaml's env_file + environment).
APP_ENV=(
  -v "$RUN-data:/data"
  -e MIAUFLIX_TMDB_URL="$UPSTREAM/tmdb"
  -e MIAUFLIX_YTS_URLS="$UPSTREAM/yts,$UPSTREAM/yts-mirror2"
  -e MIAUFLIX_EZTV_URLS="$UPSTREAM/eztv,$UPSTREAM/eztv-mirror2"
  -e MIAUFLIX_TRAKT_URL="$UPSTREAM/trakt"
  -e MIAUFLIX_ADMIN_EMAIL="$ADMIN_EMAIL"
  -e MIAUFLIX_ADMIN_PASSWORD="$ADMIN_PASSWORD"
  -e MIAUFLIX_ENGINE_URL="$PUBLIC/engine"
  -e PREFECT_API_URL="http://127.0.0.1:$P_PREFECT/api"
)
# Swarm counts come from the sandbox's tracker, not the public ones named in magnets.
[ -n "$TRACKER" ] && APP_ENV+=(-e MIAUFLIX_SCRAPE_TRACKERS="$TRACKER")

# --- infrastructure ---------------------------------------------------------------------
say "starting PostgreSQL, Redis"
run postgres localhost/miauflix-postgres:container-test -v "$RUN-pg:/var/lib/postgresql/data" \
  -e POSTGRES_PASSWORD="$PG_PASSWORD" -e POSTGRES_PORT="$P_PG" -e POSTGRES_LISTEN=127.0.0.1 --
run redis localhost/miauflix-redis:container-test \
  -e REDIS_PASSWORD="$REDIS_PASSWORD" -e REDIS_PORT="$P_REDIS" -e REDIS_BIND=127.0.0.1 --
wait_for "postgres" 120 healthy postgres
wait_for "redis" 60 healthy redis

say "starting the Prefect server on PostgreSQL"
run prefect-server "$IMG" -e PREFECT_SERVER_API_PORT="$P_PREFECT" -e PREFECT_SERVER_API_HOST=127.0.0.1 \
  -e PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://prefect:$PG_PASSWORD@127.0.0.1:$P_PG/prefect" \
  -- prefect-server
wait_for "prefect server" 240 healthy prefect-server

# --- the catalog: one sync (a flow run on the Prefect server), before the worker starts --
say "first sync (one-off container)"
timeout 900 podman run --rm --name "$RUN-sync" --label "miauflix-test=$RUN" --network host \
  "${APP_ENV[@]}" "$IMG" sync --quiet >"$WORK/sync.log" 2>&1 \
  || { tail -40 "$WORK/sync.log" >&2; die "the sync container failed"; }
say "sync done"

# --- the Miauflix roles -----------------------------------------------------------------
say "starting engine, API, worker, nginx"
run engine "$IMG" "${APP_ENV[@]}" -e MIAUFLIX_ENGINE_HOST=127.0.0.1 -e MIAUFLIX_ENGINE_PORT="$P_ENGINE" \
  -e MIAUFLIX_ENGINE_BT_PORT="$P_BT" -e MIAUFLIX_ENGINE_PEERS="$SEEDER" -e MIAUFLIX_ENGINE_UTP=false -- engine
run api "$IMG" "${APP_ENV[@]}" -e MIAUFLIX_HOST=127.0.0.1 -e MIAUFLIX_PORT="$P_API" -e MIAUFLIX_API_WORKERS=2 \
  -e MIAUFLIX_TRUSTED_PROXIES=127.0.0.1 \
  -e MIAUFLIX_RATE_LIMIT_STORAGE_URI="redis://:$REDIS_PASSWORD@127.0.0.1:$P_REDIS/0" -- api
run nginx localhost/miauflix-nginx:container-test -v "$WORK/certs:/etc/nginx/certs:ro" \
  -e MIAUFLIX_SERVER_NAME=localhost -e MIAUFLIX_API_UPSTREAM="127.0.0.1:$P_API" \
  -e MIAUFLIX_ENGINE_UPSTREAM="127.0.0.1:$P_ENGINE" -e NGINX_HTTP_PORT="$P_HTTP" \
  -e NGINX_HTTPS_PORT="$P_HTTPS" -e NGINX_HTTPS_PUBLIC_PORT="$P_HTTPS" --
run worker "$IMG" "${APP_ENV[@]}" -- worker

wait_for "engine" 120 healthy engine
wait_for "api" 120 healthy api
wait_for "nginx" 60 healthy nginx

# --- checks -----------------------------------------------------------------------------
CURL=(curl -sS --max-time 60 --cacert "$CA")

say "check: health endpoints through nginx (TLS, HTTP/2, HSTS)"
"${CURL[@]}" -D "$WORK/h.txt" -o "$WORK/b.txt" -w '%{http_code} %{http_version}\n' "$PUBLIC/api/health" > "$WORK/s.txt"
[ "$(cat "$WORK/s.txt")" = "200 2" ] || die "GET /api/health via nginx: $(cat "$WORK/s.txt") (want 200 over HTTP/2)"
grep -qi '^strict-transport-security: max-age=' "$WORK/h.txt" || die "no HSTS header: $(cat "$WORK/h.txt")"
grep -q '"ok"' "$WORK/b.txt" || die "API health body: $(cat "$WORK/b.txt")"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$PUBLIC/engine/health")
[ "$code" = 200 ] || die "GET /engine/health via nginx: $code"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_PREFECT/api/health")
[ "$code" = 200 ] || die "Prefect /api/health: $code"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$P_HTTP/api/health")
[ "$code" = "301 $PUBLIC/api/health" ] || die "plain HTTP should redirect to HTTPS: $code"

say "check: the worker registered the deployments with the Prefect server"
deployments() {
  curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' -d '{}' \
    "http://127.0.0.1:$P_PREFECT/api/deployments/filter" \
    | python3 -c 'import json,sys; names={d["name"] for d in json.load(sys.stdin)}; sys.exit(0 if {"lists","movies","sources"} <= names else 1)'
}
wait_for "deployments" 180 deployments
running worker || die "the worker exited"

say "check: sign-in through nginx over TLS"
LOGIN=$(printf '{"email": "%s", "password": "%s"}' "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
"${CURL[@]}" -o "$WORK/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "$LOGIN" "$PUBLIC/api/auth/login" > "$WORK/s.txt"
[ "$(cat "$WORK/s.txt")" = 200 ] || die "sign-in via nginx: $(cat "$WORK/s.txt") $(head -c 300 "$WORK/login.json")"
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$WORK/login.json")
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"email": "nobody@container.test", "password": "wrong"}' "$PUBLIC/api/auth/login")
[ "$code" = 401 ] || die "a wrong password via nginx: $code (want 401)"
keys=$(podman exec -e REDISCLI_AUTH="$REDIS_PASSWORD" "$RUN-redis" redis-cli -p "$P_REDIS" dbsize)
[ "${keys:-0}" -gt 0 ] || die "no rate-limit counter in Redis (dbsize ${keys:-?})"

say "check: a stream's byte ranges through nginx (movie $MOVIE)"
"${CURL[@]}" -o "$WORK/stream.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{}' "$PUBLIC/api/movies/$MOVIE/stream" > "$WORK/s.txt"
[ "$(cat "$WORK/s.txt")" = 200 ] || die "stream URL: $(cat "$WORK/s.txt") $(head -c 300 "$WORK/stream.json")"
URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stream_url"])' "$WORK/stream.json")
case "$URL" in "$PUBLIC/engine/stream/"*) ;; *) die "stream URL not under $PUBLIC/engine: $URL" ;; esac
DIRECT="http://127.0.0.1:$P_ENGINE${URL#"$PUBLIC/engine"}"
range_check() {  # range_check <first> <last>
  local first=$1 last=$2
  "${CURL[@]}" -D "$WORK/rh.txt" -o "$WORK/proxied.bin" -w '%{http_code}' -r "$first-$last" "$URL" > "$WORK/s.txt"
  [ "$(cat "$WORK/s.txt")" = 206 ] || die "Range $first-$last via nginx: $(cat "$WORK/s.txt") (want 206)"
  grep -qiE "^content-range: bytes $first-$last/[0-9]+" "$WORK/rh.txt" \
    || die "Range $first-$last: wrong Content-Range: $(grep -i '^content-range' "$WORK/rh.txt")"
  [ "$(stat -c %s "$WORK/proxied.bin")" = $((last - first + 1)) ] || die "Range $first-$last: wrong length"
  curl -sS --max-time 60 -o "$WORK/direct.bin" -r "$first-$last" "$DIRECT"
  cmp -s "$WORK/proxied.bin" "$WORK/direct.bin" || die "Range $first-$last: nginx's bytes differ from the engine's"
  say "  bytes $first-$last: 206, $(grep -i '^content-range' "$WORK/rh.txt" | tr -d '\r')"
}
range_check 0 1023
range_check 1048576 1114111
SIZE=$(grep -i '^content-range' "$WORK/rh.txt" | tr -d '\r' | sed 's#.*/##')
range_check $((SIZE - 4096)) $((SIZE - 1))

for name in postgres redis prefect-server engine api nginx; do
  healthy "$name" || die "$name unhealthy at the end"
done
running worker || die "the worker exited"

# --- the VPN sidecar (docker/compose.vpn.yaml): an engine sharing a tunnel's namespace -----
# docker/vpn-test/fake_vpn.py does what a VPN client does to its namespace (tun0 up with an
# address, the default route into it) and counts what enters the tunnel; compose's
# `network_mode: service:vpn` is podman's `--network container:`. A second engine, in a
# namespace with no tunnel, must refuse torrents (MIAUFLIX_REQUIRE_VPN=true).
say "VPN sidecar: an engine inside a tunnel's network namespace, and one without a tunnel"
VPN_ENGINE_ENV=(-e MIAUFLIX_REQUIRE_VPN=true -e MIAUFLIX_DATA_DIR=/tmp/data -e MIAUFLIX_ENGINE_HOST=127.0.0.1)
podman run -d --name "$RUN-vpn" --label "miauflix-test=$RUN" --network none --cap-add NET_ADMIN \
  --device /dev/net/tun -v "$PWD/docker/vpn-test/fake_vpn.py:/fake_vpn.py:ro" "$IMG" python3 /fake_vpn.py \
  >/dev/null 2>"$WORK/run-vpn.err" || { cat "$WORK/run-vpn.err" >&2; die "podman run vpn failed"; }
podman run -d --name "$RUN-vpn-engine" --label "miauflix-test=$RUN" --network "container:$RUN-vpn" \
  "${VPN_ENGINE_ENV[@]}" "$IMG" engine >/dev/null 2>"$WORK/run-vpn-engine.err" \
  || { cat "$WORK/run-vpn-engine.err" >&2; die "podman run vpn-engine failed"; }
podman run -d --name "$RUN-bare-engine" --label "miauflix-test=$RUN" --network none \
  "${VPN_ENGINE_ENV[@]}" "$IMG" engine >/dev/null 2>"$WORK/run-bare-engine.err" \
  || { cat "$WORK/run-bare-engine.err" >&2; die "podman run bare-engine failed"; }
vpn_state() {  # vpn_state <container>: the engine's /health "vpn" object, as one JSON line
  podman exec "$RUN-$1" python3 -c 'import json, urllib.request
print(json.dumps(json.load(urllib.request.urlopen("http://127.0.0.1:8001/health", timeout=5))["vpn"]))' 2>/dev/null
}
wait_for "engine behind the tunnel" 120 vpn_state vpn-engine
wait_for "engine without a tunnel" 120 vpn_state bare-engine
python3 - "$(vpn_state vpn-engine)" "$(vpn_state bare-engine)" <<'PY' || die "VPN guard"
import json, sys
inside, bare = (json.loads(arg) for arg in sys.argv[1:3])
assert inside["required"] and inside["ok"] and inside["interface"] == "tun0", inside
assert inside["default_routes"] == ["tun0"], inside
assert bare["required"] and not bare["ok"] and bare["interface"] is None, bare
PY
say "  behind the tunnel: $(vpn_state vpn-engine)"
say "  without a tunnel:  $(vpn_state bare-engine)"
# The engines first: podman refuses to remove a container others share a namespace with.
podman rm -f -t 2 "$RUN-vpn-engine" "$RUN-bare-engine" >/dev/null 2>&1
podman rm -f -t 2 "$RUN-vpn" >/dev/null 2>&1
say "part 1 passed; stopping it"
podman rm -f -v -t 5 $(podman ps -a --filter "label=miauflix-test=$RUN" --format '{{.Names}}') >/dev/null 2>&1

# --- part 2: docker/compose.yaml as written, with podman-compose ----------------------------
say "compose: docker/compose.yaml with podman-compose (project $PROJ)"
CDIR="$WORK/compose"
mkdir -p "$CDIR"
cp docker/compose.yaml "$CDIR/compose.yaml"
cp -r "$WORK/certs" "$CDIR/certs"
# podman-compose 1.0 ignores the network's ipam subnet: make the network first, with the
# subnet the API is told to trust (another random one if the first pick is taken).
for attempt in 1 2 3 4 5; do
  SUBNET="10.$((RANDOM % 100 + 120)).$((RANDOM % 250)).0/24"
  podman network create --label "miauflix-test=$RUN" --subnet "$SUBNET" "${PROJ}_default" \
    >/dev/null 2>&1 && break
  [ "$attempt" = 5 ] && die "no free subnet for the compose network"
done
{
  echo "MIAUFLIX_IMAGE_TAG=container-test"
  echo "MIAUFLIX_SERVER_NAME=localhost"
  echo "MIAUFLIX_PUBLISH_ADDRESS=127.0.0.1"
  echo "MIAUFLIX_HTTPS_PORT=$C_HTTPS"
  echo "MIAUFLIX_HTTP_PORT=$C_HTTP"
  echo "MIAUFLIX_PUBLIC_PORT_SUFFIX=:$C_HTTPS"
  echo "MIAUFLIX_PREFECT_UI_PORT=$C_PREFECT"
  echo "MIAUFLIX_SUBNET=$SUBNET"
  echo "POSTGRES_PASSWORD=$PG_PASSWORD"
  echo "REDIS_PASSWORD=$REDIS_PASSWORD"
  echo "MIAUFLIX_ADMIN_EMAIL=$ADMIN_EMAIL"
  echo "MIAUFLIX_ADMIN_PASSWORD=$ADMIN_PASSWORD"
} > "$CDIR/.env"
chmod 0600 "$CDIR/.env"
(cd "$CDIR" && timeout 300 podman-compose -p "$PROJ" up -d) >"$WORK/compose.log" 2>&1 \
  || { tail -30 "$WORK/compose.log" >&2; die "podman-compose up failed"; }
C_PUBLIC="https://localhost:$C_HTTPS"
chealthy() { podman healthcheck run "${PROJ}_$1_1"; }
for name in postgres redis prefect-server engine api nginx; do
  wait_for "compose $name" 240 chealthy "$name"
done
code=$("${CURL[@]}" -o /dev/null -w '%{http_code} %{http_version}' "$C_PUBLIC/api/health")
[ "$code" = "200 2" ] || die "compose: GET /api/health via nginx: $code"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$C_PUBLIC/engine/health")
[ "$code" = 200 ] || die "compose: GET /engine/health via nginx: $code"
P_PREFECT=$C_PREFECT  # `deployments` asks the Prefect UI port, published on 127.0.0.1
wait_for "compose worker deployments" 180 deployments
"${CURL[@]}" -o "$WORK/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "$LOGIN" "$C_PUBLIC/api/auth/login" > "$WORK/s.txt"
[ "$(cat "$WORK/s.txt")" = 200 ] || die "compose: sign-in via nginx: $(cat "$WORK/s.txt")"
# The limiter keys on the client address nginx saw (the network's gateway for a published
# port), not on nginx's own: MIAUFLIX_TRUSTED_PROXIES is wired to the stack's subnet.
NGINX_IP=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${PROJ}_nginx_1")
podman exec -e REDISCLI_AUTH="$REDIS_PASSWORD" "${PROJ}_redis_1" redis-cli --scan > "$WORK/keys.txt"
grep -q . "$WORK/keys.txt" || die "compose: no rate-limit counter in Redis"
say "  rate-limit keys: $(tr '\n' ' ' < "$WORK/keys.txt" | cut -c1-200) (nginx is $NGINX_IP)"
! grep -qF "$NGINX_IP" "$WORK/keys.txt" || die "compose: the limiter keys on nginx's address $NGINX_IP"
crunning() { [ "$(podman inspect -f '{{.State.Running}}' "${PROJ}_$1_1")" = true ]; }
crunning worker || die "compose: the worker is not running"
(cd "$CDIR" && timeout 120 podman-compose -p "$PROJ" down -v) >>"$WORK/compose.log" 2>&1 \
  || die "podman-compose down failed"
say "PASS: images, stack health, sign-in and byte ranges through nginx over TLS, the VPN guard in a tunnel namespace, compose stack ($((SECONDS - T0)) s)"
