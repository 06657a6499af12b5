"""Rate limits shared by every gunicorn worker through Redis: a real ``redis-server`` and a
real gunicorn with two workers on loopback; a sign-in limit of N allows N attempts in all,
whichever worker answers. Without Redis reachable the limits fall back to per-worker
memory instead of failing every request.

``redis-server`` comes from Debian (``scripts/setup.sh`` installs it): no skip here.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from core.settings import Settings, load_settings
from serve.app import create_app
from tests.conftest import REPO_ROOT

LIMIT = 4
_LOGIN_LINE = re.compile(r"worker=<?(\d+)>? status=(\d+) path=/api/auth/login")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port, nothing persisted."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: run scripts/setup.sh (Debian package redis-server)"
    port = _free_port()
    options = {"--port": str(port), "--bind": "127.0.0.1", "--save": "", "--appendonly": "no",
               "--dir": str(tmp_path), "--unixsocket": ""}  # fmt: skip
    process = subprocess.Popen(
        [binary, *(part for pair in options.items() for part in pair)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    try:
        for _ in range(100):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail(f"redis-server did not come up on port {port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        _stop(process)


class Gunicorn:
    """``serve.wsgi``'s gunicorn set-up, 2 workers, access log lines naming the worker pid."""

    def __init__(self, settings: Settings, storage_uri: str, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")},
            "MIAUFLIX_DATA_DIR": str(settings.data_dir),
            "MIAUFLIX_SECRET_KEY": settings.secret_key.get_secret_value(),
            "MIAUFLIX_ADMIN_EMAIL": settings.admin_email,
            "MIAUFLIX_ADMIN_PASSWORD": settings.admin_password.get_secret_value(),
            "MIAUFLIX_RATE_LIMIT_STORAGE_URI": storage_uri,
            "MIAUFLIX_RATE_LIMIT_LOGIN": f"{LIMIT}/hour",
        }
        code = (
            "from core.settings import load_settings\n"
            "from serve.app import create_app\n"
            "from serve.wsgi import _Gunicorn, gunicorn_options\n"
            "settings = load_settings()\n"
            f"options = gunicorn_options(settings, '127.0.0.1', {self.port}, 2, 2)\n"
            "options['access_log_format'] = 'worker=%(p)s status=%(s)s path=%(U)s'\n"
            "_Gunicorn(create_app(settings), options).run()\n"
        )
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gunicorn did not come up:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)

    def login_workers(self) -> list[tuple[int, int]]:
        """(worker pid, status) of each sign-in so far, from the access log."""
        self._out.flush()
        return [(int(p), int(s)) for p, s in _LOGIN_LINE.findall(self.log.read_text())]

    def stop(self) -> None:
        _stop(self.process)
        self._out.close()


@pytest.fixture
def api(settings: Settings, redis_url: str) -> Iterator[Gunicorn]:
    with tempfile.TemporaryDirectory() as logs:
        server = Gunicorn(settings, redis_url, Path(logs) / "gunicorn.log")
        try:
            yield server
        finally:
            server.stop()


def _wrong_logins(base: str, email: str, count: int) -> list[int]:
    """``count`` failed sign-ins, two at a time, each on a fresh connection (so either
    worker may accept it); their statuses."""
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        response = httpx.post(
            f"{base}/api/auth/login",
            json={"email": email, "password": "not the password at all"},
            timeout=30,
        )
        with lock:
            statuses.append(response.status_code)

    for _ in range(count // 2):
        pair = [threading.Thread(target=attempt) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(60)
    return statuses


def test_the_sign_in_limit_holds_across_gunicorn_workers(
    api: Gunicorn, settings: Settings, redis_url: str
) -> None:
    statuses = _wrong_logins(api.base, settings.admin_email, 4 * LIMIT)
    # Which worker accepts a connection is the kernel's choice: go on (bounded) until both
    # have answered sign-ins.
    while len({pid for pid, _ in api.login_workers()}) < 2 and len(statuses) < 20 * LIMIT:
        statuses += _wrong_logins(api.base, settings.admin_email, 2)
    served = api.login_workers()
    workers = {pid for pid, _ in served}
    assert len(workers) == 2, api.log.read_text()[-3000:]  # both workers answered sign-ins
    assert sorted(statuses) == [401] * LIMIT + [429] * (len(statuses) - LIMIT), statuses
    # The counters live in Redis, not in the workers.
    assert redis.Redis.from_url(redis_url).dbsize() >= 1
    # A correct password is refused too once the limit is spent (no bypass by guessing right).
    right = httpx.post(
        f"{api.base}/api/auth/login",
        json={
            "email": settings.admin_email,
            "password": settings.admin_password.get_secret_value(),
        },
        timeout=30,
    )
    assert right.status_code == 429 and right.json()["error"]["code"] == "rate_limited"


def test_without_redis_reachable_limits_fall_back_to_each_worker(
    settings: Settings, app_db_template: Path
) -> None:
    port = _free_port()  # nothing listens here
    configured = load_settings(
        **{
            **settings.model_dump(),
            "secret_key": settings.secret_key.get_secret_value(),
            "rate_limit_storage_uri": f"redis://127.0.0.1:{port}/0",
            "rate_limit_login": "2/hour",
        }
    )
    shutil.copyfile(app_db_template, configured.app_db_path)
    client = create_app(configured).test_client()
    wrong = {"email": settings.admin_email, "password": "not the password at all"}
    statuses = [client.post("/api/auth/login", json=wrong).status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
