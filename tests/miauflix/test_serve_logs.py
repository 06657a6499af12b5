"""``miauflix serve`` with JSON logs: every line is JSON (gunicorn's too), and sign-ins,
failures and tokens leave no secret behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from miauflix.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "serve log test password 0123"
SECRET = "master-secret-for-the-log-test-0123456789"


def test_the_api_logs_json_without_passwords_tokens_or_the_master_secret(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(
        MIAUFLIX_DATA_DIR=str(tmp_path / "data"),
        MIAUFLIX_PORT=str(port),
        MIAUFLIX_API_WORKERS="1",
        MIAUFLIX_ADMIN_PASSWORD=PASSWORD,
        MIAUFLIX_SECRET_KEY=SECRET,
        MIAUFLIX_LOG_FORMAT="json",
        MIAUFLIX_LOG_LEVEL="debug",
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "miauflix.cli", "serve"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    tokens: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=api, timeout=30) as client:
            typo = client.post("/auth/login", json={"email": PASSWORD, "password": PASSWORD})
            assert typo.status_code == 401
            ok = client.post(
                "/auth/login", json={"email": "admin@miauflix.local", "password": PASSWORD}
            )
            assert ok.status_code == 200, ok.text
            tokens.append(ok.json()["access_token"])
            tokens.extend(v for v in client.cookies.values() if len(v) >= 16)
            me = client.get("/auth/me", headers={"Authorization": f"Bearer {tokens[0]}"})
            assert me.status_code < 500
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line, gunicorn's included
    assert all("component" in entry for entry in entries)
    loggers = {entry["logger"] for entry in entries}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers, loggers
    everything = out + err
    for secret in (PASSWORD, SECRET, *tokens):
        assert secret not in everything
