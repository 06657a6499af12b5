"""Who is calling: the client address behind trusted proxies, and whether the request
came over TLS.

The client address is ``REMOTE_ADDR`` unless that peer is a configured trusted proxy; then
``X-Forwarded-For`` is walked from the right, skipping trusted hops, and the first
untrusted address is the client. A forged header from an untrusted peer is ignored.

This module imports nothing from the project: the rate limiter (:mod:`serve.extensions`),
the audit log and the security hooks all key on :func:`client_ip`. The trusted networks
are parsed once per app by :func:`install` (from ``Settings.trusted_proxies``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from flask import Flask, current_app, g, request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_EXTENSION = "miauflix.trusted_proxies"


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


def install(app: Flask, trusted_proxies: Iterable[str]) -> None:
    """Parse the trusted proxies of ``app`` once (``Settings.trusted_proxies``)."""
    app.extensions[_EXTENSION] = parse_networks(trusted_proxies)


def trusted_networks() -> tuple[Network, ...]:
    networks: tuple[Network, ...] = current_app.extensions.get(_EXTENSION, ())
    return networks


def client_ip() -> str:
    """The current request's client address (cached on ``g``)."""
    cached: str | None = g.get("_miauflix_client_ip")
    if cached is None:
        cached = resolve_client_ip(
            request.remote_addr or "", request.headers.get("X-Forwarded-For"), trusted_networks()
        )
        g._miauflix_client_ip = cached
    return cached


def request_is_secure() -> bool:
    """TLS directly, or an ``X-Forwarded-Proto: https`` set by a trusted proxy."""
    if request.is_secure:
        return True
    networks = trusted_networks()
    proto = request.headers.get("X-Forwarded-Proto", "")
    return bool(networks) and _trusted(request.remote_addr or "", networks) and proto == "https"
