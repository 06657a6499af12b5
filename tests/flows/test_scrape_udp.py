"""UDP tracker scrape (BEP 15) against the sandbox's UDP tracker and scripted hostile peers."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Iterator

import pytest

from flows.scrape_http import ScrapeError, SwarmCounts
from flows.scrape_udp import PROTOCOL_ID, scrape_udp, udp_address
from sandbox.tracker import SwarmRegistry
from sandbox.udp_tracker import UdpTracker
from tests.flows.scrape_helpers import hash_of, join_swarm, scripted_udp


@pytest.fixture
def udp() -> Iterator[UdpTracker]:
    with UdpTracker(SwarmRegistry()) as running:
        yield running


def _scrape(announce: str, hashes: list[bytes]) -> dict[bytes, SwarmCounts]:
    return asyncio.run(scrape_udp(announce, hashes, timeout=0.3, tries=2))


def test_the_sandbox_udp_tracker_reports_its_swarms(udp: UdpTracker) -> None:
    known, empty = hash_of(1), hash_of(2)
    join_swarm(udp.registry, known, seeders=4, leechers=1)
    assert _scrape(udp.announce_url, [known, empty]) == {
        known: SwarmCounts(seeders=4, leechers=1, completed=0),
        empty: SwarmCounts(0, 0, 0),
    }


def test_more_than_74_hashes_take_several_packets(udp: UdpTracker) -> None:
    hashes = [hash_of(n) for n in range(150)]
    join_swarm(udp.registry, hashes[149], seeders=2, leechers=0)
    counts = _scrape(udp.announce_url, hashes)
    assert len(counts) == 150 and counts[hashes[149]].seeders == 2
    assert udp.packets == 1 + 3  # connect, then 74 + 74 + 2


def test_the_udp_tracker_refuses_a_scrape_without_a_connection(udp: UdpTracker) -> None:
    packet = struct.pack(">QII", 12345, 2, 99) + hash_of(1)
    reply = udp.answer(packet, now=0.0)
    assert reply is not None and struct.unpack_from(">II", reply) == (3, 99)
    assert udp.answer(b"short", now=0.0) is None
    assert udp.answer(struct.pack(">QII", 1, 0, 5), now=0.0)[:4] == struct.pack(">I", 3)  # type: ignore[index]


def _connect_then(scrape: Callable[[int, bytes], bytes | None]) -> Callable[[bytes], bytes | None]:
    """A peer that connects properly, then answers scrapes with ``scrape(tid, packet)``."""

    def reply(packet: bytes) -> bytes | None:
        connection_id, action, tid = struct.unpack_from(">QII", packet)
        if action == 0 and connection_id == PROTOCOL_ID:
            return struct.pack(">IIQ", 0, tid, 777)
        return scrape(tid, packet)

    return reply


H = hash_of(5)


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (lambda packet: None, "no answer after 2 tries"),
        (lambda packet: struct.pack(">IIQ", 0, 1, 7), "no answer"),  # wrong transaction id
        (lambda packet: struct.pack(">II", 3, struct.unpack_from(">I", packet, 12)[0]) + b"nope",
         "refused: nope"),
        (lambda packet: struct.pack(">III", 0, struct.unpack_from(">I", packet, 12)[0], 1),
         "connect answer of 12 bytes"),
        (_connect_then(lambda tid, p: struct.pack(">II", 2, tid)), "8 bytes for 1 hashes"),
        (_connect_then(lambda tid, p: struct.pack(">II", 2, tid) + b"\0" * 24),
         "32 bytes for 1 hashes"),
        (_connect_then(lambda tid, p: struct.pack(">II", 1, tid) + b"\0" * 12),
         "unexpected action 1"),
        (_connect_then(lambda tid, p: struct.pack(">IIIII", 2, tid, 2**31, 0, 0)),
         "out of range"),
        (_connect_then(lambda tid, p: None), "no answer"),
    ],
)  # fmt: skip
def test_hostile_udp_answers_are_refused(
    reply: Callable[[bytes], bytes | None], match: str
) -> None:
    with scripted_udp(reply) as announce, pytest.raises(ScrapeError, match=match) as caught:
        _scrape(announce, [H])
    assert H.hex() not in str(caught.value)


@pytest.mark.parametrize(
    "announce", ["http://t.test/announce", "udp://t.test/announce", "udp://:80", "udp://t:x/a"]
)
def test_only_udp_host_port_urls_are_scraped_over_udp(announce: str) -> None:
    assert udp_address(announce) is None
    with pytest.raises(ScrapeError):
        _scrape(announce, [H])
