"""A signed-in device's name from its User-Agent (serve/device_names.py), and the sessions
list showing it when the client sends no name of its own."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from core.settings import Settings
from serve.device_names import MAX_LENGTH, device_name

CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "HeadlessChrome/156.0.0.0 Safari/537.36")  # fmt: skip
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")  # fmt: skip
EDGE_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87")  # fmt: skip
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0"
SAMSUNG_ANDROID = ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36")  # fmt: skip
TIZEN_TV = ("Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "76.0.3809.146/6.0 TV Safari/537.36")  # fmt: skip
CHROMEBOOK = ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")  # fmt: skip


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (FIREFOX_MAC, "Firefox on macOS"),
        (SAMSUNG_ANDROID, "Samsung Internet on Android"),
        (TIZEN_TV, "Samsung TV"),
        (CHROMEBOOK, "Chrome on ChromeOS"),
    ],
)
def test_a_browser_is_named_by_its_make_and_system(agent: str, name: str) -> None:
    assert device_name(agent) == name


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        ("curl/8.5.0", "curl/8.5.0"),
        ("python-httpx/0.27.0 extra words", "python-httpx/0.27.0"),
        ("", "unknown"),
        ("   ", "unknown"),
        ("\x00\x1b[31m\x07", "[31m"),  # control characters never reach the sessions list
        ("x" * 5000, "x" * MAX_LENGTH),
        ("Mozilla/5.0 (Windows NT 10.0)", "Windows"),
        ("Firefox/1.0", "Firefox"),
        ("ünïcødé/1 (ÜberOS)", "ünïcødé/1"),
    ],
)
def test_an_unknown_or_hostile_agent_gives_a_short_printable_name(agent: str, name: str) -> None:
    assert device_name(agent) == name


def test_a_session_without_a_given_name_is_listed_by_its_browser(
    client: FlaskClient, settings: Settings
) -> None:
    password = settings.admin_password.get_secret_value()
    answer = client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": password},
        headers={"User-Agent": CHROME_LINUX},
    )
    assert answer.status_code == 200
    token = answer.get_json()["access_token"]
    client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": password, "device": "Living room"},
        headers={"User-Agent": CHROME_LINUX},
    )
    listed = client.get("/api/auth/sessions", headers={"Authorization": f"Bearer {token}"})
    assert sorted(s["device"] for s in listed.get_json()["results"]) == [
        "Chrome on Linux", "Living room",
    ]  # fmt: skip
