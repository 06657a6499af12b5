"""Keep API keys out of URLs, error messages, logs and raw tables.

TMDB v3 keys travel as an ``api_key`` query parameter, so every URL that leaves the
HTTP layer goes through :func:`redact_url`; any free text that might echo a key (an
exception message from a transport) goes through :class:`Redactor`. httpx itself logs
each request URL at INFO level; :func:`install_httpx_log_filter` rewrites those records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

SECRET_PARAMS = frozenset(
    # info_hash: tracker scrapes (flows/scrape_http.py); passkey: private trackers' URLs
    {"api_key", "apikey", "access_token", "client_secret", "token", "info_hash", "passkey"}
)
MASK = "***"


def redact_url(url: httpx.URL | str) -> str:
    """The URL without secret query parameters and without userinfo passwords."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparseable url>"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in SECRET_PARAMS
    ]
    netloc = parts.netloc
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    return urlunsplit(
        (parts.scheme, netloc, parts.path, urlencode(query, safe=",:"), parts.fragment)
    )


class Redactor:
    """Replaces known secret values inside arbitrary text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Short strings would mangle unrelated text; real keys are 32+ characters.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


class _HttpxUrlFilter(logging.Filter):
    """Redacts URLs in the ``httpx`` logger's request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_FILTER = _HttpxUrlFilter()


def install_httpx_log_filter() -> None:
    """Attach the URL-redacting filter to the ``httpx`` logger (idempotent)."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
