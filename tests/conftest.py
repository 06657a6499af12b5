"""Shared fixtures: isolated settings per test, the upstream samples, a Prefect harness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = REPO_ROOT.parent / "shared" / "upstream-samples"

# Keep Prefect's state out of the user's home and quiet in tests.
os.environ.setdefault("PREFECT_HOME", str(REPO_ROOT / ".pytest-prefect-home"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on a fresh data dir, with no MIAUFLIX_* leaking in from the environment."""
    for name in list(os.environ):
        if name.startswith("MIAUFLIX_"):
            monkeypatch.delenv(name)
    return load_settings(
        data_dir=data_dir,
        secret_key="test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        admin_email="admin@example.test",
        admin_password="correct horse battery staple",
    )


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The recorded upstream samples; tests that need them skip cleanly when absent."""
    if not SAMPLES_DIR.is_dir():
        pytest.skip(f"upstream samples not found at {SAMPLES_DIR}")
    return SAMPLES_DIR


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (starting one costs ~15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test session.

    Shared by the web and TV tests: Playwright's sync API runs its event loop in the main
    thread, so a second ``sync_playwright()`` alive at the same time cannot start.
    """
    from playwright import sync_api as playwright_api

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)")
    with playwright_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()
