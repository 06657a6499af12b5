"""First run on the remote: the server address refuses what is not a Miauflix server,
sign-in refuses a wrong password, tokens survive a restart and are refreshed when the
access token is refused, Settings signs out and forgets the server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.tizen.conftest import TvApp, screenshot
from tests.tizen.remote import OK, RIGHT, UP, focused, press, wait_focus, wait_js
from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.slow
MESSAGE = "document.getElementById('server-message').textContent"
HOME = "document.activeElement && document.activeElement.classList.contains('card')"


def _submit_server(page: Any, text: str) -> None:
    """Clear the field, type `text` on the TV keyboard, OK to Continue, OK."""
    wait_focus(page, "server")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")  # in a text field Backspace edits, it is not Back
    if text:
        page.keyboard.type(text)
    press(page, OK)
    assert focused(page) == "server-continue"
    press(page, OK)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "not a server address"),
        ("javascript:alert(1)", "not a server address"),
        ("http://user:secret@127.0.0.1:1", "not a server address"),
        ("http://127.0.0.1:1/some/path", "not a server address"),
        ("ftp://127.0.0.1", "not a server address"),
        ("x" * 300, "not a server address"),
        ("127.0.0.1:1", "No Miauflix server answers"),
        ("60N0-0H87-T0K", "pairing code does not work: the code has a typo"),
        ("ZZZZ-ZZZZ-ZZZ", "pairing code does not work"),
        ("60N0-0H87-T0U", "pairing code does not work"),  # U: not Crockford
        ("3z00 0020 01t", "No Miauflix server answers at http://127.0.0.1:1"),  # a code
    ],
)
def test_the_server_address_refuses_what_is_not_a_miauflix_server(
    tv_page: Any, typed: str, said: str
) -> None:
    page = tv_page(1280, 720)
    _submit_server(page, typed)
    wait_js(page, f"{MESSAGE}.includes({said!r})")
    assert page.evaluate("localStorage.getItem('miauflix.server')") is None
    assert page.query_selector("#email") is None  # still on the first screen
    assert page.js_errors == []


def test_a_page_that_is_not_miauflix_is_refused(tv_page: Any, tv_app: TvApp) -> None:
    page = tv_page(1280, 720)
    _submit_server(page, tv_app.origin)  # answers HTTP, but /api/health is not there
    wait_js(page, f"{MESSAGE}.includes('No Miauflix server answers')")
    assert page.evaluate("localStorage.getItem('miauflix.server')") is None


def _sign_in(page: Any, tv_app: TvApp, password: str) -> None:
    wait_focus(page, "email")
    page.keyboard.type(ADMIN_EMAIL)
    press(page, OK)
    page.keyboard.type(password)
    press(page, OK)
    assert focused(page) == "signin"
    press(page, OK)


def test_sign_in_keeps_tokens_refreshes_them_and_settings_sign_out_and_forget(
    tv_page: Any, tv_app: TvApp
) -> None:
    page = tv_page(1920, 1080)
    _submit_server(page, tv_app.stack.api)
    _sign_in(page, tv_app, "not the password")
    wait_js(page, "document.getElementById('signin-message').textContent.includes('Wrong')")
    assert page.evaluate("document.getElementById('password').value") == ""
    assert page.evaluate("localStorage.getItem('miauflix.tokens')") is None
    press(page, UP, UP)  # back to the email field, still holding the address
    assert focused(page) == "email"
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    _sign_in(page, tv_app, ADMIN_PASSWORD)
    wait_js(page, HOME)
    assert page.evaluate("localStorage.getItem('miauflix.server')") == tv_app.stack.api

    # A refused access token is refreshed (rotating) and the request retried.
    old_refresh = page.evaluate("JSON.parse(localStorage.getItem('miauflix.tokens')).refresh_token")
    page.evaluate(
        "localStorage.setItem('miauflix.tokens', JSON.stringify(Object.assign("
        "JSON.parse(localStorage.getItem('miauflix.tokens')), {access_token: 'x.y.z'})))"
    )
    page.reload()
    wait_js(page, HOME)  # the restart skips first run
    tokens = page.evaluate("JSON.parse(localStorage.getItem('miauflix.tokens'))")
    assert tokens["refresh_token"] != old_refresh and tokens["access_token"] != "x.y.z"
    me = httpx.get(
        f"{tv_app.stack.api}/api/auth/me",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 200 and me.json()["email"] == ADMIN_EMAIL

    press(page, UP)
    assert focused(page) == "open-settings"
    press(page, OK)
    wait_focus(page, "sign-out")
    screenshot(page, "settings")
    press(page, OK)
    wait_focus(page, "email")
    assert page.evaluate("localStorage.getItem('miauflix.tokens')") is None
    revoked = httpx.get(
        f"{tv_app.stack.api}/api/auth/me",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert revoked.status_code == 401  # signing out ends the session on the server
    press(page, OK, OK, OK)  # empty email and password: the form says so, focus moves on
    assert focused(page) == "signin"
    press(page, OK)
    wait_js(page, "document.getElementById('signin-message').textContent.includes('Type your')")
    press(page, RIGHT)  # to "Change server" (forget this server), beside Sign in
    assert focused(page) == "change-server"
    press(page, OK)
    wait_focus(page, "server")
    assert page.evaluate("localStorage.getItem('miauflix.server')") is None
    assert page.js_errors == []
