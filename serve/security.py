"""Request-level protections: the client address behind trusted proxies, security headers,
CORS (closed unless origins are configured), body size, and auth-failure burst auditing.

The client address is ``REMOTE_ADDR`` unless that peer is a configured trusted proxy; then
``X-Forwarded-For`` is walked from the right, skipping trusted hops, and the first
untrusted address is the client. A forged header from an untrusted peer is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from serve import audit
from serve.extensions import app_db

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-CSRF-Token"
_TRUSTED_KEY = "MIAUFLIX_TRUSTED_NETWORKS"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs or single addresses; raises ValueError naming the bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted proxy {value!r} is not an IP address or CIDR") from exc
    return tuple(networks)


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    ip = _parse_ip(address)
    return ip is not None and any(ip in network for network in networks)


def resolve_client_ip(remote: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The client address given the peer, its X-Forwarded-For and the trusted proxies."""
    if not networks or not forwarded_for or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",")[-20:]]
    for hop in reversed(hops):
        ip = _parse_ip(hop)
        if ip is None:
            return remote  # malformed chain: do not guess
        if not any(ip in network for network in networks):
            return str(ip)
    first = _parse_ip(hops[0]) if hops else None
    return str(first) if first is not None else remote


def client_ip() -> str:
    """The current request's client address (cached on ``g``)."""
    cached: str | None = g.get("_miauflix_client_ip")
    if cached is None:
        networks = current_app.config.get(_TRUSTED_KEY, ())
        cached = resolve_client_ip(
            request.remote_addr or "", request.headers.get("X-Forwarded-For"), networks
        )
        g._miauflix_client_ip = cached
    return cached


def request_is_secure() -> bool:
    """TLS directly, or an ``X-Forwarded-Proto: https`` set by a trusted proxy."""
    if request.is_secure:
        return True
    networks = current_app.config.get(_TRUSTED_KEY, ())
    proto = request.headers.get("X-Forwarded-Proto", "")
    return bool(networks) and _trusted(request.remote_addr or "", networks) and proto == "https"


def web_csp(engine_url: str) -> str:
    """CSP for the web client: own scripts/styles, TMDB images, media from the engine."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self';"
        f" img-src 'self' data: https://image.tmdb.org; media-src 'self' blob: {engine_url};"
        f" connect-src 'self' {engine_url}; object-src 'none'; base-uri 'none';"
        " form-action 'self'; frame-ancestors 'none'"
    )


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith("/api/"):
        headers.setdefault("Content-Security-Policy", API_CSP)
        headers.setdefault("Cache-Control", "no-store")
    else:
        headers.setdefault("Content-Security-Policy", current_app.config["MIAUFLIX_WEB_CSP"])
    if request_is_secure():
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    allowed: frozenset[str] = current_app.config["MIAUFLIX_CORS_ORIGINS"]
    if origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers.add("Vary", "Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


def _reject_oversized() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if limit is not None and length is not None and length > int(limit):
        raise RequestEntityTooLarge()


def _audit_failures(response: Response) -> Response:
    if response.status_code in (401, 403):
        ip = client_ip()
        detector: audit.BurstDetector = current_app.config["MIAUFLIX_BURSTS"]
        if detector.hit(ip):
            audit.record(
                app_db(),
                "auth_failure_burst",
                path=request.path,
                status=response.status_code,
                window_seconds=detector.window,
                count=detector.threshold,
            )
    elif response.status_code == 429:
        # One event per address per minute: a flood must not flood the log too.
        once: audit.BurstDetector = current_app.config["MIAUFLIX_RATE_AUDIT"]
        if once.hit(client_ip()):
            audit.record(app_db(), "rate_limited", path=request.path, method=request.method)
    return response


def install(app: Flask, settings: Any) -> None:
    """Wire the hooks on ``app`` from ``settings``."""
    app.config[_TRUSTED_KEY] = parse_networks(getattr(settings, "trusted_proxies", []))
    app.config["MIAUFLIX_CORS_ORIGINS"] = frozenset(getattr(settings, "cors_origins", []))
    app.config["MIAUFLIX_WEB_CSP"] = web_csp(settings.engine_url)
    app.config.setdefault("MIAUFLIX_BURSTS", audit.BurstDetector())
    app.config.setdefault("MIAUFLIX_RATE_AUDIT", audit.BurstDetector(threshold=1, window=60.0))
    app.before_request(_reject_oversized)
    app.after_request(_audit_failures)
    app.after_request(_cors)
    app.after_request(_security_headers)
