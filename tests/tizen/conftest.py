"""Fixtures for the TV shell in a browser: the packaged app (``miauflix tizen build``,
unzipped) served from its own loopback origin, a real demo stack that allows that origin
by CORS (as a TV app's ``<access origin="*">`` does), Debian's Chromium, and pages with
stubbed ``tizen`` / ``webapis`` objects that record what the app asks of the TV."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from miauflix.processes import free_port
from tests.miauflix.tizen_sign.pki import unpack
from tests.web.shows_stack import ShowSwarm, publish_demo_show
from tests.web.stack import Stack, fake_tmdb_image, start_stack

ARTIFACTS = Path(__file__).resolve().parents[1] / "web" / "artifacts"  # git-ignored

# The TV's objects as far as the shell uses them; every call is recorded in window.__tv.
TV_STUBS = """
(() => {
  const keys = [
    ["MediaPlay", 415], ["MediaPause", 19], ["MediaStop", 413], ["MediaRewind", 412],
    ["MediaFastForward", 417], ["MediaPlayPause", 10252], ["MediaTrackPrevious", 10232],
    ["MediaTrackNext", 10233], ["ColorF0Red", 403], ["ColorF1Green", 404],
    ["ColorF2Yellow", 405], ["ColorF3Blue", 406], ["0", 48], ["1", 49],
  ];
  const tv = window.__tv = { registered: [], log: [], exited: 0, screenSaver: [] };
  window.tizen = {
    tvinputdevice: {
      getSupportedKeys: () => keys.map(([name, code]) => ({ name, code })),
      registerKey: (name) => {
        tv.log.push("+" + name);
        if (!tv.registered.includes(name)) tv.registered.push(name);
      },
      unregisterKey: (name) => {
        tv.log.push("-" + name);
        tv.registered = tv.registered.filter((n) => n !== name);
      },
    },
    application: { getCurrentApplication: () => ({ exit: () => { tv.exited += 1; } }) },
  };
  window.webapis = { appcommon: {
    AppCommonScreenSaverState: { SCREEN_SAVER_OFF: 0, SCREEN_SAVER_ON: 1 },
    setScreenSaver: (state) => { tv.screenSaver.push(state); },
  } };
})();
"""


@dataclass(frozen=True)
class TvApp:
    """The unpacked package served at ``origin`` and the stack it talks to."""

    origin: str
    stack: Stack


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wgt")
    done = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "tizen", "build", "--out", str(out)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return unpack(out / "Miauflix.wgt", out / "pkg")


@pytest.fixture(scope="session")
def tv_app(package_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TvApp]:
    handler = functools.partial(_Quiet, directory=str(package_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    stack = start_stack(
        tmp_path_factory.mktemp("tv-stack"), extra_env={"MIAUFLIX_CORS_ORIGINS": origin}
    )
    try:
        yield TvApp(origin=origin, stack=stack)
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def tv_show(tv_app: TvApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShowSwarm]:
    """The demo show (season 1: three short episodes in a seeded pack; season 2: one)
    published into the TV stack, first in its "popular" shows."""
    swarm = publish_demo_show(tv_app.stack, tmp_path_factory.mktemp("tv-show"))
    try:
        yield swarm
    finally:
        swarm.stop()


@pytest.fixture
def tv_page(browser: Any, tv_app: TvApp) -> Iterator[Any]:
    """A factory of TV pages (fresh storage, stubs installed) at a given panel size."""
    contexts: list[Any] = []

    def make(width: int, height: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.route(
            "https://image.tmdb.org/**",
            lambda route: route.fulfill(
                status=200, content_type="image/svg+xml", body=fake_tmdb_image(route.request.url)
            ),
        )
        context.add_init_script(TV_STUBS)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        page.goto(f"{tv_app.origin}/index.html")
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tv-{name}.png"))
