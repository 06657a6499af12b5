"""docker/healthcheck.py: the role read from PID 1's command line picks the health URL."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docker" / "healthcheck.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("miauflix_healthcheck", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = _load()


@pytest.mark.parametrize(
    ("cmdline", "role"),
    [
        (b"tini\0--\0miauflix-entrypoint\0engine\0", "engine"),
        (b"tini\0--\0/usr/local/bin/miauflix-entrypoint\0prefect-server\0--x\0", "prefect-server"),
        (b"tini\0--\0miauflix-entrypoint\0", "api"),  # the image's default CMD
        (b"tini\0--\0miauflix-entrypoint\0\0\0", "api"),
        (b"sh\0-c\0sleep 1\0", ""),  # entry point overridden: no role
        (b"", ""),
        (b"tini\0--\0miauflix-entrypoint\0\xff\xfe\0", "\ufffd\ufffd"),  # not UTF-8
    ],
)
def test_role_is_the_argument_after_the_entrypoint(cmdline: bytes, role: str) -> None:
    assert healthcheck.container_role(cmdline) == role


def test_http_roles_check_their_own_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIAUFLIX_PORT", "9000")
    monkeypatch.setenv("MIAUFLIX_ENGINE_PORT", "9001")
    monkeypatch.setenv("PREFECT_SERVER_API_PORT", "9002")
    assert healthcheck.health_url("api") == "http://127.0.0.1:9000/api/health"
    assert healthcheck.health_url("engine") == "http://127.0.0.1:9001/health"
    assert healthcheck.health_url("prefect-server") == "http://127.0.0.1:9002/api/health"


@pytest.mark.parametrize("role", ["worker", "sync", "backup", "", "--version", "api;rm"])
def test_roles_without_an_endpoint_have_no_url(role: str) -> None:
    assert healthcheck.health_url(role) is None
