"""Test helpers for the tracker scrape: swarms on the sandbox tracker, a scripted UDP peer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sandbox.tracker import SwarmRegistry


def hash_of(n: int) -> bytes:
    """A deterministic 20-byte info hash."""
    return bytes([n % 256]) * 19 + bytes([(n * 7 + 1) % 256])


def join_swarm(registry: SwarmRegistry, info_hash: bytes, seeders: int, leechers: int) -> None:
    """Announce ``seeders`` complete and ``leechers`` incomplete peers (distinct peer ids)."""
    for n in range(seeders + leechers):
        registry.announce(
            {
                "info_hash": [info_hash.decode("latin-1")],
                "peer_id": [f"-T{n:018d}"],
                "port": [str(10_000 + n)],
                "left": ["0" if n < seeders else "100"],
            },
            "127.0.0.1",
        )


@contextmanager
def scripted_udp(reply: Callable[[bytes], bytes | None]) -> Iterator[str]:
    """A UDP endpoint on loopback answering each datagram with ``reply(packet)`` (None:
    silence); yields its ``udp://`` announce URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                packet, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            answer = reply(packet)
            if answer is not None:
                sock.sendto(answer, addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"udp://127.0.0.1:{sock.getsockname()[1]}/announce"
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()
