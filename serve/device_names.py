"""A name a person recognises for a signed-in device, from its User-Agent: "Chrome on
Linux", "Safari on iPhone", "Samsung TV". Account → My sessions lists it, so a person can
tell their sessions apart (and spot one that is not theirs); the audit log keeps the raw
header."""

from __future__ import annotations

MAX_LENGTH = 100  # the sessions table's limit, as for a name the client sends

# First match wins: Edge, Opera and Samsung Internet also say "Chrome/", Chrome says "Safari/".
_BROWSERS = (
    ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)  # fmt: skip
# iPhones say "like Mac OS X", Android and ChromeOS say "Linux", a Samsung TV says both.
_SYSTEMS = (
    ("Tizen", "Samsung TV"), ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
    ("CrOS", "ChromeOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"),
)  # fmt: skip


def device_name(user_agent: str) -> str:
    """The browser and system ("Chrome on Linux") when the header names both; a TV by its
    make; else the header's first product ("curl/8.5.0"), printable characters only, or
    "unknown" when nothing is left."""
    text = "".join(ch for ch in user_agent[:1024] if ch.isprintable()).strip()
    system = next((name for token, name in _SYSTEMS if token in text), None)
    if system == "Samsung TV":
        return system
    browser = next((name for token, name in _BROWSERS if token in text), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    return text.split(" ", 1)[0][:MAX_LENGTH] or "unknown"
