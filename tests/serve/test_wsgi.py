"""The production entry points: gunicorn via run_server (real HTTP on loopback) and the
lazy ``serve.wsgi:app`` attribute."""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.conftest import REPO_ROOT
from tests.helpers.catalog import SampleMarts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn_server(settings: Settings, published: SampleMarts) -> Iterator[str]:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")},
        "MIAUFLIX_DATA_DIR": str(settings.data_dir),
        "MIAUFLIX_SECRET_KEY": settings.secret_key.get_secret_value(),
        "MIAUFLIX_ADMIN_EMAIL": settings.admin_email,
        "MIAUFLIX_ADMIN_PASSWORD": settings.admin_password.get_secret_value(),
    }
    code = (
        "from core.settings import load_settings\n"
        "from serve.wsgi import run_server\n"
        f"run_server(load_settings(), '127.0.0.1', {port}, workers=2, threads=4)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"gunicorn did not come up (exit {process.poll()}):\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_run_server_serves_the_api_under_gunicorn(
    gunicorn_server: str, settings: Settings, published: SampleMarts
) -> None:
    with httpx.Client(base_url=gunicorn_server, timeout=10) as http:
        assert http.get("/api/health").json() == {"status": "ok"}
        token = http.post(
            "/api/auth/login",
            json={
                "email": settings.admin_email,
                "password": settings.admin_password.get_secret_value(),
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Several requests: they land on different workers, which all accept the token.
        for _ in range(6):
            body = http.get("/api/movies/550", headers=headers).json()
            assert body["title"] == published.movies[550]
        error = http.get("/api/movies/550", headers={"Authorization": "Bearer x"})
        assert error.status_code == 401 and set(error.json()) == {"error"}


def test_wsgi_module_builds_the_app_lazily_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data_dir = tmp_path / "lazy"
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MIAUFLIX_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("MIAUFLIX_ADMIN_PASSWORD", "lazy-admin-password")
    sys.modules.pop("serve.wsgi", None)
    module = importlib.import_module("serve.wsgi")
    assert "app" not in vars(module)
    assert not (data_dir / "app.sqlite").exists()
    application = module.app
    assert module.app is application
    assert (data_dir / "app.sqlite").exists()
    assert application.test_client().get("/api/health").status_code == 200
    with pytest.raises(AttributeError):
        _ = module.no_such_thing
    sys.modules.pop("serve.wsgi", None)


def test_access_log_is_on_by_default_and_can_be_turned_off(settings: Settings) -> None:
    from serve.wsgi import gunicorn_options

    assert gunicorn_options(settings, "127.0.0.1", 8000)["accesslog"] == "-"
    assert gunicorn_options(settings, "127.0.0.1", 8000, access_log=True)["accesslog"] == "-"
    off = gunicorn_options(settings, "127.0.0.1", 8000, access_log=False)
    assert off["accesslog"] is None
    assert off["errorlog"] == "-"  # errors are still logged
