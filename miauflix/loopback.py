"""Injects the sandbox's lean HTTP transport into the flows for loopback plain-http upstreams.

The flows use httpx's own transport; on loopback the client's CPU bounds a large sync, so
every process that runs flows (``miauflix sync``, the deployment runner's flow runs) calls
:func:`install_loopback_transport` first. Only ``http://`` URLs on a loopback host are
affected: real upstreams (``https://``, other hosts) never meet this transport.
"""

from __future__ import annotations

from flows.clients import mount_transport
from sandbox.loopback_transport import FastHTTPTransport

LOOPBACK_ORIGINS = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def install_loopback_transport() -> None:
    """Mount :class:`FastHTTPTransport` for loopback plain-http URLs in this process."""
    for origin in LOOPBACK_ORIGINS:
        mount_transport(origin, FastHTTPTransport.for_pool)
