"""Browser fixtures: one demo stack per session, Debian's Chromium through Playwright, pages
that fetch TMDB images from a local stand-in, screenshots under tests/web/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.stack import WEB_DIST, Stack, fake_tmdb_image, start_stack

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("web/dist is not built: run `npm ci && npm run build` in web/ (setup.sh)")
    running = start_stack(tmp_path_factory.mktemp("web-stack"))
    try:
        yield running
    finally:
        running.stop()


def _route_tmdb(route: Any) -> None:
    route.fulfill(status=200, content_type="image/svg+xml", body=fake_tmdb_image(route.request.url))


@pytest.fixture
def new_page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A factory of pages in fresh contexts (own cookies), sized like a laptop by default."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 800) -> Any:
        context = browser.new_context(
            base_url=stack.api, viewport={"width": width, "height": height}
        )
        context.route("https://image.tmdb.org/**", _route_tmdb)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text)
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )
        page.js_errors = errors  # checked by the tests: no script error, no CSP violation
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    # Evaluated through the DevTools protocol: an injected <script> would break the CSP.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
