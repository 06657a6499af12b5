"""Linking Trakt in a real browser: the account page shows the code and the address, follows
the state live while the person approves at (the fake) Trakt, and unlinks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_violations, screenshot
from tests.web.helpers import USER_PASSWORD, create_user, sign_in
from tests.web.qr_decode import decode
from tests.web.stack import Stack

pytestmark = pytest.mark.slow

_MODULE = re.compile(r"M(\d+) (\d+)h1v1h-1z")
_QUIET = 4  # modules of white border the client draws around the code


def qr_modules(svg: Any) -> set[tuple[int, int]]:
    """The dark modules (row, column) the client drew, read back from its SVG path."""
    path = svg.locator("path").get_attribute("d") or ""
    assert re.fullmatch(r"(?:M\d+ \d+h1v1h-1z)+", path), path[:80]
    return {(int(y) - _QUIET, int(x) - _QUIET) for x, y in _MODULE.findall(path)}


def test_link_trakt_shows_the_code_follows_approval_and_unlinks(
    new_page: Any, stack: Stack
) -> None:
    email = "trakt.viewer@example.test"
    create_user(stack, email)
    page = new_page()
    sign_in(page, email, USER_PASSWORD)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Link Trakt").click()
    code = page.locator(".trakt-code strong")
    expect(code).to_have_text(re.compile(r"^[0-9A-F]{8}$"))
    address = page.get_by_role("link", name=re.compile(r"_sandbox.activate$"))
    expect(address).to_be_visible()
    url = address.get_attribute("href") or ""
    # The QR code: labelled with the address, big enough to scan, and it encodes that address.
    qr = page.get_by_role("img", name=f"QR code for {url}")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["height"] >= 150
    view_box = (qr.get_attribute("viewBox") or "").split()
    size = int(view_box[2]) - 2 * _QUIET
    assert size >= 21 and (size - 17) % 4 == 0, view_box
    assert decode(qr_modules(qr), size) == url
    screenshot(page, "trakt-pending")
    assert axe_violations(page) == []
    # The person enters the code at the (sandbox's) Trakt activation page.
    trakt = new_page()
    trakt.goto(address.get_attribute("href") or "")
    trakt.get_by_label("Code").fill(code.inner_text())
    trakt.get_by_role("button", name="Approve").click()
    expect(trakt.get_by_text(re.compile("approved"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Linked since"))).to_be_visible(timeout=30_000)
    screenshot(page, "trakt-linked")
    page.get_by_role("button", name="Unlink Trakt").click()
    expect(page.get_by_role("button", name="Link Trakt")).to_be_visible()
    assert not page.js_errors, page.js_errors
