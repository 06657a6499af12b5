"""The sandbox HTTP tracker: compact announces, scrape, failure reasons for bad requests."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import httpx
import pytest

from engine.lt import bdecode
from sandbox.tracker import Tracker

HASH = bytes(range(20))


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    with Tracker() as running:
        yield running


def announce(tracker: Tracker, peer: bytes, port: int, **extra: str) -> dict:  # type: ignore[type-arg]
    query = f"info_hash={quote_from_bytes(HASH)}&peer_id={quote_from_bytes(peer)}&port={port}"
    query += "".join(f"&{k}={v}" for k, v in extra.items())
    response = httpx.get(f"{tracker.announce_url}?{query}", timeout=10)
    assert response.status_code == 200
    return bdecode(response.content)  # type: ignore[return-value]


def test_announce_returns_the_other_peers_compact(tracker: Tracker) -> None:
    announce(tracker, b"A" * 20, 6001, left="0")
    reply = announce(tracker, b"B" * 20, 6002, left="100")
    assert reply[b"interval"] > 0
    assert reply[b"peers"] == bytes([127, 0, 0, 1]) + (6001).to_bytes(2, "big")
    assert (reply[b"complete"], reply[b"incomplete"]) == (1, 1)


def test_non_compact_announce_lists_peer_dicts(tracker: Tracker) -> None:
    announce(tracker, b"A" * 20, 6001)
    reply = announce(tracker, b"B" * 20, 6002, compact="0")
    assert reply[b"peers"] == [{b"peer id": b"A" * 20, b"ip": b"127.0.0.1", b"port": 6001}]


def test_stopped_peers_leave_the_swarm(tracker: Tracker) -> None:
    announce(tracker, b"A" * 20, 6001)
    announce(tracker, b"A" * 20, 6001, event="stopped")
    assert announce(tracker, b"B" * 20, 6002)[b"peers"] == b""


def test_scrape_counts_seeds_leechers_and_completions(tracker: Tracker) -> None:
    announce(tracker, b"A" * 20, 6001, left="0", event="completed")
    announce(tracker, b"B" * 20, 6002, left="5")
    reply = bdecode(httpx.get(f"{tracker.scrape_url}?info_hash={quote_from_bytes(HASH)}").content)
    assert reply == {b"files": {HASH: {b"complete": 1, b"incomplete": 1, b"downloaded": 1}}}  # type: ignore[comparison-overlap]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "info_hash=short&peer_id=" + "a" * 20 + "&port=1",
        f"info_hash={quote_from_bytes(HASH)}&peer_id=short&port=1",
        f"info_hash={quote_from_bytes(HASH)}&peer_id={'a' * 20}&port=70000",
        f"info_hash={quote_from_bytes(HASH)}&peer_id={'a' * 20}&port=x",
        f"info_hash={quote_from_bytes(HASH)}&peer_id={'a' * 20}&port=1&left=-5",
    ],
)
def test_bad_announces_get_a_failure_reason(tracker: Tracker, query: str) -> None:
    reply = bdecode(httpx.get(f"{tracker.announce_url}?{query}", timeout=10).content)
    assert b"failure reason" in reply  # type: ignore[operator]


def test_unknown_path_is_404(tracker: Tracker) -> None:
    assert httpx.get(f"http://127.0.0.1:{tracker.port}/nope").status_code == 404
