"""A minimal, real HTTP BitTorrent tracker (BEP 3 announce, BEP 23 compact peers, BEP 48 scrape).

It keeps its swarms in memory, answers ``GET /announce`` and ``GET /scrape`` with bencoded
dictionaries, and reports bad requests as ``failure reason`` answers (HTTP 200, as
clients expect). Enough for the sandbox seeder and the engine to find each other the
normal way on loopback.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sandbox.bencode import Bencodable, bencode
from sandbox.lifecycle import Startable

ANNOUNCE_INTERVAL = 30
MAX_NUMWANT = 200


class AnnounceError(ValueError):
    """A malformed announce or scrape; the message becomes the failure reason."""


@dataclass
class _Peer:
    ip: str
    port: int
    left: int
    seen: float


@dataclass
class _Swarm:
    peers: dict[bytes, _Peer] = field(default_factory=dict)
    downloaded: int = 0


def _one(query: dict[str, list[str]], name: str, *, required: bool = True) -> str | None:
    values = query.get(name)
    if not values:
        if required:
            raise AnnounceError(f"missing {name}")
        return None
    return values[0]


def _int(query: dict[str, list[str]], name: str, default: int | None = None) -> int:
    raw = _one(query, name, required=default is None)
    if raw is None:
        assert default is not None
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise AnnounceError(f"{name} is not an integer") from exc
    if value < 0:
        raise AnnounceError(f"{name} is negative")
    return value


def _hash20(raw: str) -> bytes:
    value = raw.encode("latin-1")
    if len(value) != 20:
        raise AnnounceError(f"info_hash must be 20 bytes, got {len(value)}")
    return value


class SwarmRegistry:
    """Thread-safe in-memory swarms keyed by the 20-byte info-hash."""

    def __init__(self, peer_ttl: float = ANNOUNCE_INTERVAL * 3) -> None:
        self._lock = threading.Lock()
        self._swarms: dict[bytes, _Swarm] = {}
        self._ttl = peer_ttl

    def announce(
        self, query: dict[str, list[str]], remote_ip: str
    ) -> dict[bytes | str, Bencodable]:
        info_hash = _hash20(_one(query, "info_hash") or "")
        peer_id = (_one(query, "peer_id") or "").encode("latin-1")
        if len(peer_id) != 20:
            raise AnnounceError("peer_id must be 20 bytes")
        port = _int(query, "port")
        if not 1 <= port <= 65535:
            raise AnnounceError(f"port {port} out of range")
        left = _int(query, "left", 0)
        numwant = min(_int(query, "numwant", 50), MAX_NUMWANT)
        event = _one(query, "event", required=False) or ""
        compact = (_one(query, "compact", required=False) or "1") != "0"
        now = time.monotonic()
        with self._lock:
            swarm = self._swarms.setdefault(info_hash, _Swarm())
            for pid in [p for p, peer in swarm.peers.items() if now - peer.seen > self._ttl]:
                del swarm.peers[pid]
            if event == "stopped":
                swarm.peers.pop(peer_id, None)
            else:
                if event == "completed":
                    swarm.downloaded += 1
                swarm.peers[peer_id] = _Peer(remote_ip, port, left, now)
            others = [(pid, p) for pid, p in swarm.peers.items() if pid != peer_id][:numwant]
            complete = sum(1 for p in swarm.peers.values() if p.left == 0)
            incomplete = len(swarm.peers) - complete
        reply: dict[bytes | str, Bencodable] = {
            "interval": ANNOUNCE_INTERVAL,
            "min interval": 1,
            "complete": complete,
            "incomplete": incomplete,
        }
        if compact:
            v4 = [p for _, p in others if ipaddress.ip_address(p.ip).version == 4]
            reply["peers"] = b"".join(
                ipaddress.IPv4Address(p.ip).packed + p.port.to_bytes(2, "big") for p in v4
            )
        else:
            reply["peers"] = [{"peer id": pid, "ip": p.ip, "port": p.port} for pid, p in others]
        return reply

    def scrape(self, query: dict[str, list[str]]) -> dict[bytes | str, Bencodable]:
        with self._lock:
            wanted = [_hash20(raw) for raw in query.get("info_hash", [])] or list(self._swarms)
            files: dict[bytes | str, Bencodable] = {}
            for info_hash in wanted:
                swarm = self._swarms.get(info_hash)
                if swarm is None:
                    continue
                complete = sum(1 for p in swarm.peers.values() if p.left == 0)
                files[info_hash] = {
                    "complete": complete,
                    "incomplete": len(swarm.peers) - complete,
                    "downloaded": swarm.downloaded,
                }
        return {"files": files}


class _Handler(BaseHTTPRequestHandler):
    server: _TrackerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, encoding="latin-1", keep_blank_values=True)
        registry = self.server.registry
        try:
            if parts.path == "/announce":
                body = bencode(registry.announce(query, self.client_address[0]))
            elif parts.path == "/scrape":
                body = bencode(registry.scrape(query))
            else:
                self._send(404, b"d14:failure reason9:not founde")
                return
        except AnnounceError as exc:
            body = bencode({"failure reason": str(exc)})
        self._send(200, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


class _TrackerServer(ThreadingHTTPServer):
    daemon_threads = True
    registry: SwarmRegistry

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer is not worth a traceback."""


class Tracker(Startable):
    """The tracker on ``host:port`` (port 0 picks a free one), served from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _TrackerServer((host, port), _Handler)
        self._server.registry = SwarmRegistry()
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="miauflix-tracker", daemon=True
        )

    @property
    def registry(self) -> SwarmRegistry:
        """The swarms (shared with a :class:`sandbox.udp_tracker.UdpTracker`)."""
        return self._server.registry

    @property
    def announce_url(self) -> str:
        return f"http://{self.host}:{self.port}/announce"

    @property
    def scrape_url(self) -> str:
        return f"http://{self.host}:{self.port}/scrape"

    def start(self) -> Tracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
