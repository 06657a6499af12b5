"""A small UDP tracker (BEP 15: connect and scrape) over the HTTP tracker's swarms.

It answers ``connect`` with a connection id valid for two minutes and ``scrape`` with
seeders/completed/leechers for up to 74 hashes, from a :class:`SwarmRegistry` it shares
with :class:`sandbox.tracker.Tracker`. Anything else gets an action-3 error, as real
trackers do. Served from a daemon thread; port 0 picks a free one.
"""

from __future__ import annotations

import secrets
import socket
import struct
import threading
import time

from sandbox.lifecycle import Startable
from sandbox.tracker import SwarmRegistry

PROTOCOL_ID = 0x41727101980
CONNECT, SCRAPE, ERROR = 0, 2, 3
CONNECTION_TTL = 120.0
MAX_HASHES = 74


def _number(value: object) -> int:
    return value if isinstance(value, int) else 0


def _error(tid: int, message: str) -> bytes:
    return struct.pack(">II", ERROR, tid) + message.encode()


class UdpTracker(Startable):
    """BEP 15 tracker on ``udp://host:port`` answering from ``registry``."""

    def __init__(self, registry: SwarmRegistry, host: str = "127.0.0.1", port: int = 0) -> None:
        self.registry = registry
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.settimeout(0.2)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self._connections: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name="miauflix-udp-tracker", daemon=True
        )
        self.packets = 0

    @property
    def announce_url(self) -> str:
        return f"udp://{self.host}:{self.port}/announce"

    def answer(self, packet: bytes, now: float) -> bytes | None:
        """The reply to one datagram (None: too short to carry a transaction id)."""
        if len(packet) < 16:
            return None
        connection_id, action, tid = struct.unpack_from(">QII", packet)
        if action == CONNECT:
            if connection_id != PROTOCOL_ID:
                return _error(tid, "bad protocol id")
            new_id = secrets.randbits(64)
            self._connections = {
                cid: t for cid, t in self._connections.items() if now - t < CONNECTION_TTL
            }
            self._connections[new_id] = now
            return struct.pack(">IIQ", CONNECT, tid, new_id)
        issued = self._connections.get(connection_id)
        if issued is None or now - issued >= CONNECTION_TTL:
            return _error(tid, "bad connection id")
        if action != SCRAPE:
            return _error(tid, "only scrape is supported")
        hashes = packet[16:]
        if not hashes or len(hashes) % 20 or len(hashes) // 20 > MAX_HASHES:
            return _error(tid, "bad info_hash list")
        reply = [struct.pack(">II", SCRAPE, tid)]
        for n in range(0, len(hashes), 20):
            raw = hashes[n : n + 20].decode("latin-1")
            files = self.registry.scrape({"info_hash": [raw]})["files"]
            stats = files.get(hashes[n : n + 20]) if isinstance(files, dict) else None
            if isinstance(stats, dict):
                seeders, leechers = _number(stats["complete"]), _number(stats["incomplete"])
                completed = _number(stats["downloaded"])
            else:
                seeders = leechers = completed = 0
            reply.append(struct.pack(">III", seeders, completed, leechers))
        return b"".join(reply)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                packet, addr = self._sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            self.packets += 1
            reply = self.answer(packet, time.monotonic())
            if reply is not None:
                self._sock.sendto(reply, addr)

    def start(self) -> UdpTracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
