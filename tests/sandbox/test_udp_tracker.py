"""The sandbox's UDP tracker speaks BEP 15 connect + scrape and refuses the rest."""

from __future__ import annotations

import struct

import pytest

from sandbox.tracker import SwarmRegistry
from sandbox.udp_tracker import CONNECTION_TTL, MAX_HASHES, PROTOCOL_ID, UdpTracker


@pytest.fixture
def tracker() -> UdpTracker:
    return UdpTracker(SwarmRegistry())  # answer() is pure: no thread needed


def _connect(tracker: UdpTracker, now: float = 0.0) -> int:
    reply = tracker.answer(struct.pack(">QII", PROTOCOL_ID, 0, 1), now)
    assert reply is not None and len(reply) == 16
    action, tid, connection_id = struct.unpack(">IIQ", reply)
    assert (action, tid) == (0, 1)
    return int(connection_id)


def _error(reply: bytes | None) -> str:
    assert reply is not None
    action, _tid = struct.unpack_from(">II", reply)
    assert action == 3
    return reply[8:].decode()


def test_scrape_answers_zero_for_unknown_torrents(tracker: UdpTracker) -> None:
    cid = _connect(tracker)
    reply = tracker.answer(struct.pack(">QII", cid, 2, 9) + b"\x01" * 20, 1.0)
    assert reply == struct.pack(">IIIII", 2, 9, 0, 0, 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "bad info_hash list"),
        (b"\x01" * 19, "bad info_hash list"),
        (b"\x01" * 20 * (MAX_HASHES + 1), "bad info_hash list"),
    ],
)
def test_bad_hash_lists_are_refused(tracker: UdpTracker, body: bytes, message: str) -> None:
    cid = _connect(tracker)
    assert _error(tracker.answer(struct.pack(">QII", cid, 2, 9) + body, 1.0)) == message


def test_connection_ids_expire_and_the_protocol_id_is_checked(tracker: UdpTracker) -> None:
    cid = _connect(tracker, now=0.0)
    late = tracker.answer(struct.pack(">QII", cid, 2, 9) + b"\x01" * 20, CONNECTION_TTL + 1)
    assert _error(late) == "bad connection id"
    assert _error(tracker.answer(struct.pack(">QII", 42, 0, 1), 0.0)) == "bad protocol id"
    cid = _connect(tracker)
    assert _error(tracker.answer(struct.pack(">QII", cid, 1, 9) + b"\0" * 82, 1.0)) == (
        "only scrape is supported"
    )
