"""Every page in a real browser: an admin creates a user who then signs in; axe-core finds
no serious or critical violation on any page; screenshots at phone, laptop and TV widths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_violations, screenshot
from tests.web.helpers import USER_PASSWORD, api_get, create_user, movie, sign_in, token, wait_js
from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack

pytestmark = pytest.mark.slow


def _check(page: Any, name: str, problems: dict[str, Any]) -> None:
    screenshot(page, name)
    found = axe_violations(page)
    if found:
        problems[name] = found


def test_admin_creates_a_user_who_then_signs_in(new_page: Any, stack: Stack) -> None:
    admin = new_page()
    sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    admin.get_by_label("Email").fill("new.viewer@example.test")
    admin.get_by_label("Password").fill(USER_PASSWORD)
    admin.get_by_role("button", name="Create user").click()
    expect(admin.get_by_role("cell", name="new.viewer@example.test", exact=True)).to_be_visible()

    viewer = new_page()
    sign_in(viewer, "new.viewer@example.test", USER_PASSWORD)
    expect(viewer.get_by_role("link", name="Admin")).to_have_count(0)

    admin.get_by_role("button", name="Disable new.viewer@example.test").click()
    expect(admin.get_by_role("button", name="Enable new.viewer@example.test")).to_be_visible()
    viewer.get_by_role("link", name="Genres").click()  # its session ended with the disable
    expect(viewer.get_by_role("button", name="Sign in")).to_be_visible()
    admin.get_by_role("button", name="Delete new.viewer@example.test").click()
    admin.get_by_role("button", name="Confirm: delete new.viewer@example.test").click()
    expect(admin.get_by_role("cell", name="new.viewer@example.test", exact=True)).to_have_count(0)
    assert not admin.js_errors and not viewer.js_errors, admin.js_errors + viewer.js_errors


def test_sessions_password_change_and_sign_out(new_page: Any, stack: Stack) -> None:
    email = "account@example.test"
    create_user(stack, email)
    other = new_page()
    sign_in(other, email, USER_PASSWORD)
    page = new_page()
    sign_in(page, email, USER_PASSWORD)
    page.get_by_role("link", name="Account").click()
    revoke = page.get_by_role("button", name=re.compile(r"^Revoke session (?!.*this device)"))
    expect(revoke).to_have_count(1)
    revoke.click()
    expect(page.get_by_role("button", name=re.compile(r"^Revoke session"))).to_have_count(1)
    other.reload()
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()

    page.get_by_label("Current password").fill(USER_PASSWORD)
    page.get_by_label("New password", exact=True).fill("a brand new password 42")
    page.get_by_label("Confirm new password").fill("a brand new password 42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    sign_in(page, email, "a brand new password 42")


def test_every_page_passes_axe_and_is_captured(new_page: Any, stack: Stack) -> None:
    problems: dict[str, Any] = {}
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Sign in").wait_for()
    _check(page, "signin", problems)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.locator(".row-list img").first.wait_for()
    _check(page, "a11y-home", problems)
    tmdb_id = stack.playable[0]
    pages = {
        "genres": ("/genres", "Genres"),
        "list": ("/list/popular", "Popular"),
        "search-empty": ("/search?q=zzzz", "Results for “zzzz”"),
        "movie": (f"/movie/{tmdb_id}", None),
        "account": ("/account", "Account"),
        "admin-users": ("/admin/users", "Administration"),
        "admin-sync": ("/admin/sync", "Administration"),
        "admin-audit": ("/admin/audit", "Administration"),
    }
    for name, (path, heading) in pages.items():
        page.goto(path)
        if heading:
            page.get_by_role("heading", level=1, name=heading).wait_for()
        else:
            page.get_by_role("button", name="Play").wait_for()
        if name == "admin-sync":
            page.get_by_role("heading", name="Last sync").wait_for()
            page.locator("figure svg").first.wait_for()
        if name == "admin-audit":
            page.get_by_role("table").wait_for()
        _check(page, f"a11y-{name}", problems)
    page.goto("/genres")
    page.locator(".chip").first.click()
    page.locator(".grid img").first.wait_for()
    _check(page, "a11y-genre", problems)
    page.goto(f"/watch/{tmdb_id}")
    page.locator("video").wait_for()
    page.wait_for_timeout(500)
    _check(page, "a11y-player", problems)
    assert not problems, problems
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1920, 1080)])
def test_phone_and_tv_widths(new_page: Any, stack: Stack, width: int, height: int) -> None:
    page = new_page(width, height)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.locator(".row-list img").first.wait_for()
    screenshot(page, f"home-{width}")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow, "the page scrolls sideways"
    page.goto(f"/movie/{stack.playable[0]}")
    page.get_by_role("button", name="Play").wait_for()
    screenshot(page, f"movie-{width}")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    for path in ("/account", "/admin/users"):  # on a phone, a card per row
        page.goto(path)
        page.get_by_role("table").first.wait_for()
        page.locator("table button").first.wait_for()
        page.get_by_role("table").first.scroll_into_view_if_needed()
        screenshot(page, f"{path.strip('/').replace('/', '-')}-{width}")
        sideways = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not sideways, f"{path} scrolls sideways"
        cut = page.evaluate(
            "[...document.querySelectorAll('table button')]"
            ".filter((b) => b.getBoundingClientRect().right > window.innerWidth + 1)"
            ".map((b) => b.getAttribute('aria-label') || b.textContent)"
        )
        assert not cut, f"{path}: off the screen until the table is scrolled: {cut}"
        if width > 640:  # a wide screen keeps the table: each header over its column
            skew = page.evaluate(
                "(() => { const t = document.querySelector('table');"
                " const heads = [...t.querySelectorAll('thead th')];"
                " const cells = [...t.querySelectorAll('tbody tr:first-child td')];"
                " const left = (e) => e.getBoundingClientRect().left;"
                " return [getComputedStyle(t).display,"
                " heads.map((h, i) => Math.round(Math.abs(left(h) - left(cells[i]))))]; })()"
            )
            assert skew[0] == "table" and max(skew[1]) <= 1, f"{path}: columns out of line {skew}"


def test_images_that_do_not_load_give_way_to_the_title_letter(new_page: Any, stack: Stack) -> None:
    """Offline, image.tmdb.org answers nothing: the movie page shows the poster's letter and
    no backdrop, never the browser's broken-image icon with its alt text."""
    page = new_page()
    page.route("https://image.tmdb.org/**", lambda route: route.abort())
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/movie/{stack.playable[0]}")
    page.get_by_role("button", name="Play").wait_for()
    expect(page.locator(".movie-poster .poster-placeholder")).to_be_visible()
    expect(page.locator(".movie-poster img, .backdrop img")).to_have_count(0)
    screenshot(page, "movie-offline-images")
    # every image that failed has given way (Preact re-renders after the error event)
    wait_js(page, "![...document.images].some(i => i.complete && !i.naturalWidth)")


def test_a_movie_not_in_the_catalog_offers_the_way_home_not_a_retry(
    new_page: Any, stack: Stack
) -> None:
    page = new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/movie/999999999")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("not in the catalog")
    expect(alert.get_by_role("button", name="Try again")).to_have_count(0)  # it cannot help
    screenshot(page, "movie-missing")
    alert.get_by_role("link", name="Back to Home").click()
    expect(page.get_by_role("heading", name="Popular")).to_be_visible()


def _unseeded_movie(stack: Stack) -> int:
    """A title with sources in the catalog that nobody seeds in the sandbox."""
    listed = api_get(stack, token(stack), "/api/movies?list=popular&per_page=40").json()
    for entry in listed["results"]:
        if entry["tmdb_id"] not in stack.playable and movie(stack, entry["tmdb_id"])["sources"]:
            return int(entry["tmdb_id"])
    raise AssertionError("every listed title is seeded")


def test_waiting_for_an_unseeded_source_shows_only_the_players_own_words(
    new_page: Any, stack: Stack
) -> None:
    """Before the first frame there is nothing to control: the browser's controls (a pause
    button, its own spinner behind the text) stay hidden; the wait box is opaque."""
    page = new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/watch/{_unseeded_movie(stack)}")
    wait = page.locator(".overlay-wait")
    expect(wait).to_contain_text("Starting")
    expect(wait).to_contain_text("Engine:")
    assert page.evaluate("document.querySelector('video').controls") is False
    background = wait.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background.startswith("rgb("), background  # no alpha channel: opaque
    screenshot(page, "player-waiting-unseeded")
    page.goto("/")  # leave: the stream is given up
