"""Helpers for the browser tests: API calls as a given user, signing in, video state."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack

USER_PASSWORD = "viewer password 0123456"


def token(stack: Stack, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
    answer = httpx.post(f"{stack.api}/api/auth/login", json={"email": email, "password": password})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def api_get(stack: Stack, bearer: str, path: str) -> httpx.Response:
    return httpx.get(
        f"{stack.api}{path}", headers={"Authorization": f"Bearer {bearer}"}, timeout=10
    )


def create_user(stack: Stack, email: str, password: str = USER_PASSWORD) -> None:
    answer = httpx.post(
        f"{stack.api}/api/admin/users",
        json={"email": email, "password": password, "role": "user"},
        headers={"Authorization": f"Bearer {token(stack)}"},
    )
    assert answer.status_code in (201, 409), answer.text


def movie(stack: Stack, tmdb_id: int) -> dict[str, Any]:
    answer = api_get(stack, token(stack), f"/api/movies/{tmdb_id}")
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Popular").wait_for()


def wait_js(page: Any, expression: str, timeout: float = 20_000) -> None:
    """Poll a JS expression until truthy. (``page.wait_for_function`` evaluates strings with
    ``eval`` inside the page, which the client's CSP forbids; ``evaluate`` is not affected.)"""
    waited = 0.0
    while not page.evaluate(f"(() => !!({expression}))()"):
        if waited >= timeout:
            raise AssertionError(f"{expression} still false after {timeout / 1000:.0f}s")
        page.wait_for_timeout(100)
        waited += 100


def video_time(page: Any) -> float:
    return float(page.evaluate("document.querySelector('video').currentTime"))


def wait_playing_and_advancing(page: Any, timeout: float = 60_000) -> float:
    """Wait for the `playing` state, then for currentTime to move on; returns the time."""
    wait_js(
        page,
        "(v => v && v.dataset.state === 'playing' && !v.paused && v.readyState >= 3)"
        "(document.querySelector('video'))",
        timeout,
    )
    start = video_time(page)
    wait_js(page, f"document.querySelector('video').currentTime > {start} + 0.5", timeout)
    return video_time(page)


def progress_items(stack: Stack, bearer: str) -> list[dict[str, Any]] | None:
    """The user's progress items, or None when the progress API is not there."""
    answer = api_get(stack, bearer, "/api/progress")
    if answer.status_code in (404, 405):
        return None
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items
