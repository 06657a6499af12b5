"""The web client's "Pair a TV" panel (Account) in a real browser against the TV stack: it
shows what ``GET /api/pairing`` answers, here for a server that listens on loopback only,
so it explains why there is no code instead of showing one a TV could not use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tizen.conftest import TvApp, screenshot
from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.slow


def test_the_pairing_panel_explains_a_loopback_only_server(browser: Any, tv_app: TvApp) -> None:
    viewport = {"width": 1280, "height": 900}
    context = browser.new_context(base_url=tv_app.stack.api, viewport=viewport)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Popular").first.wait_for()
        page.goto("/account")
        panel = page.get_by_role("region", name="Pair a TV")
        panel.wait_for()
        note = page.locator("#pairing-note")
        note.wait_for()
        assert "MIAUFLIX_HOST=0.0.0.0" in note.inner_text()
        assert page.locator("#pairing-code, #pairing-address").count() == 0  # none to show
        panel.scroll_into_view_if_needed()
        screenshot(page, "web-pairing-panel")
    finally:
        context.close()
