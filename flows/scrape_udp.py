"""UDP tracker scrape (BEP 15): connect, then scrape up to 74 hashes per packet.

connect:  ``>QII`` protocol id 0x41727101980, action 0, transaction id -> ``>IIQ`` action 0,
the same transaction id, connection id. scrape: ``>QII`` connection id, action 2,
transaction id, then the 20-byte hashes -> ``>II`` action 2, transaction id, then ``>III``
seeders, completed, leechers per hash, in the order asked. Action 3 is an error with a
message. Each request is retried with a timeout (bounded: ``tries`` x ``timeout``); an
answer of the wrong size, action or transaction id is refused, never guessed at.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
from collections.abc import Sequence
from urllib.parse import urlsplit

from flows.scrape_http import MAX_COUNT, ScrapeError, SwarmCounts, tracker_label

PROTOCOL_ID = 0x41727101980
CONNECT, SCRAPE, ERROR = 0, 2, 3
MAX_HASHES_PER_PACKET = 74
MAX_DATAGRAM = 8 + 12 * MAX_HASHES_PER_PACKET


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=64)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if not self.queue.full():
            self.queue.put_nowait(data[: MAX_DATAGRAM + 1])


def udp_address(announce: str) -> tuple[str, int] | None:
    parts = urlsplit(announce)
    if parts.scheme != "udp" or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return (parts.hostname, port) if port else None


def _check_header(data: bytes, action: int, tid: int, label: str) -> None:
    if len(data) < 8:
        raise ScrapeError(f"{label}: short answer ({len(data)} bytes)")
    got_action, got_tid = struct.unpack_from(">II", data)
    if got_tid != tid:
        raise ScrapeError(f"{label}: wrong transaction id")
    if got_action == ERROR:
        message = data[8:208].decode("utf-8", "replace")
        raise ScrapeError(f"{label}: tracker refused: {message}")
    if got_action != action:
        raise ScrapeError(f"{label}: unexpected action {got_action}")


async def _ask(
    transport: asyncio.DatagramTransport,
    endpoint: _Endpoint,
    packet: bytes,
    tid: int,
    *,
    timeout: float,
    tries: int,
    label: str,
) -> bytes:
    """Send ``packet`` until an answer with transaction id ``tid`` arrives."""
    loop = asyncio.get_running_loop()
    for _ in range(max(1, tries)):
        transport.sendto(packet)
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(endpoint.queue.get(), left)
            except TimeoutError:
                break
            if len(data) >= 8 and struct.unpack_from(">I", data, 4)[0] == tid:
                return data  # other answers (late retries) are dropped
    raise ScrapeError(f"{label}: no answer after {tries} tries")


def parse_scrape_packet(
    data: bytes, batch: Sequence[bytes], tid: int, label: str
) -> dict[bytes, SwarmCounts]:
    _check_header(data, SCRAPE, tid, label)
    if len(data) != 8 + 12 * len(batch):
        raise ScrapeError(f"{label}: {len(data)} bytes for {len(batch)} hashes")
    counts: dict[bytes, SwarmCounts] = {}
    for n, info_hash in enumerate(batch):
        seeders, completed, leechers = struct.unpack_from(">III", data, 8 + 12 * n)
        if max(seeders, completed, leechers) > MAX_COUNT:
            raise ScrapeError(f"{label}: count out of range")
        counts[info_hash] = SwarmCounts(seeders, leechers, completed)
    return counts


async def scrape_udp(
    announce: str, hashes: Sequence[bytes], *, timeout: float = 3.0, tries: int = 2
) -> dict[bytes, SwarmCounts]:
    """Scrape ``hashes`` from a UDP tracker (one connection id for all packets)."""
    label = tracker_label(announce)
    address = udp_address(announce)
    if address is None:
        raise ScrapeError(f"{label}: not a udp://host:port tracker")
    if any(len(h) != 20 for h in hashes):
        raise ValueError("info hashes must be 20 bytes")
    loop = asyncio.get_running_loop()
    try:  # name resolution included: bounded like the exchange itself
        transport, endpoint = await asyncio.wait_for(
            loop.create_datagram_endpoint(_Endpoint, remote_addr=address), timeout * tries
        )
    except (OSError, TimeoutError) as exc:
        raise ScrapeError(f"{label}: {type(exc).__name__}") from None
    try:
        tid = secrets.randbits(32)
        connect = struct.pack(">QII", PROTOCOL_ID, CONNECT, tid)
        reply = await _ask(
            transport, endpoint, connect, tid, timeout=timeout, tries=tries, label=label
        )
        _check_header(reply, CONNECT, tid, label)
        if len(reply) != 16:
            raise ScrapeError(f"{label}: connect answer of {len(reply)} bytes")
        connection_id = struct.unpack_from(">Q", reply, 8)[0]
        counts: dict[bytes, SwarmCounts] = {}
        for start in range(0, len(hashes), MAX_HASHES_PER_PACKET):
            batch = list(hashes[start : start + MAX_HASHES_PER_PACKET])
            tid = secrets.randbits(32)
            packet = struct.pack(">QII", connection_id, SCRAPE, tid) + b"".join(batch)
            data = await _ask(
                transport, endpoint, packet, tid, timeout=timeout, tries=tries, label=label
            )
            counts.update(parse_scrape_packet(data, batch, tid, label))
        return counts
    finally:
        transport.close()
