"""HTTP tracker scrape (BEP 48) against the sandbox tracker, and against hostile answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from flows.scrape_http import (
    MAX_ANSWER_BYTES,
    ScrapeError,
    SwarmCounts,
    parse_scrape,
    scrape_http,
    scrape_url,
    tracker_label,
)
from sandbox.bencode import bencode
from sandbox.tracker import Tracker
from tests.flows.scrape_helpers import hash_of, join_swarm

ANNOUNCE = "http://tracker.test/announce"


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    with Tracker() as running:
        yield running


def _scrape(announce: str, hashes: list[bytes], transport: httpx.AsyncBaseTransport | None = None):  # type: ignore[no-untyped-def]
    async def go() -> dict[bytes, SwarmCounts]:
        async with httpx.AsyncClient(transport=transport, timeout=2.0) as client:
            return await scrape_http(client, announce, hashes)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("announce", "scrape"),
    [
        ("http://t.test/announce", "http://t.test/scrape"),
        ("http://t.test:6969/x/announce.php", "http://t.test:6969/x/scrape.php"),
        ("https://t.test/announce?passkey=abc", "https://t.test/scrape?passkey=abc"),
        ("http://t.test/a", None),
        ("http://t.test/announce/x", None),
        ("udp://t.test:80/announce", None),
        ("wss://t.test/announce", None),
    ],
)
def test_the_scrape_url_follows_bep_48(announce: str, scrape: str | None) -> None:
    assert scrape_url(announce) == scrape


def test_the_tracker_label_drops_path_query_and_credentials() -> None:
    label = tracker_label("https://user:pw@t.test:8443/abcdef123/announce?passkey=s3cret")
    assert label == "https://t.test:8443"


def test_the_sandbox_tracker_reports_its_swarms(tracker: Tracker) -> None:
    known, empty = hash_of(1), hash_of(2)
    join_swarm(tracker.registry, known, seeders=3, leechers=2)
    counts = _scrape(tracker.announce_url, [known, empty])
    assert counts == {known: SwarmCounts(seeders=3, leechers=2, completed=0)}


def test_many_hashes_are_asked_in_batches(tracker: Tracker) -> None:
    hashes = [hash_of(n) for n in range(120)]
    for h in hashes[::10]:
        join_swarm(tracker.registry, h, seeders=1, leechers=0)
    counts = _scrape(tracker.announce_url, hashes)
    assert set(counts) == set(hashes[::10])


def _answer(body: bytes | Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    if callable(body):
        return httpx.MockTransport(body)
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body))


def _files(entries: dict[bytes, object]) -> bytes:
    return bencode({"files": entries})  # type: ignore[dict-item]


H = hash_of(9)
OK = {"complete": 1, "incomplete": 2, "downloaded": 3}


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (b"<html>not bencode</html>", "malformed bencode"),
        (b"d5:filesd", "malformed bencode"),
        (b"i1e", "not a dictionary"),
        (bencode({"failure reason": "go away"}), "refused: go away"),
        (bencode({"interval": 5}), "no files"),
        (_files({H: OK, hash_of(10): OK}), "2 entries for 1"),
        (_files({hash_of(10): OK}), "not asked"),
        (_files({H: {"complete": -1}}), "complete is not a count"),
        (_files({H: {"complete": 10**12}}), "complete is not a count"),
        (_files({H: {"complete": b"7"}}), "complete is not a count"),
        (_files({H: [1, 2]}), "not a dictionary"),
        (b"d5:files" + b"l" * 5000 + b"e" * 5000 + b"e", "malformed bencode"),
        (b"x" * (MAX_ANSWER_BYTES + 1), "larger than"),
        (lambda r: httpx.Response(500, text="oops"), "HTTP 500"),
        (_raise(httpx.ReadTimeout("slow")), "ReadTimeout"),
        (_raise(httpx.ConnectError("refused")), "ConnectError"),
    ],
)
def test_hostile_answers_are_refused_without_naming_a_hash(answer: object, match: str) -> None:
    with pytest.raises(ScrapeError, match=match) as caught:
        _scrape(ANNOUNCE, [H], _answer(answer))  # type: ignore[arg-type]
    message = str(caught.value)
    assert H.hex() not in message and "%" not in message
    assert message.startswith("http://tracker.test")


def test_an_unknown_torrent_is_absent_rather_than_zero() -> None:
    assert parse_scrape(_files({}), [H], "t") == {}
    assert parse_scrape(_files({H: {}}), [H], "t") == {H: SwarmCounts(0, 0, 0)}


def test_hashes_must_be_twenty_bytes() -> None:
    with pytest.raises(ValueError):
        _scrape(ANNOUNCE, [b"short"], _answer(_files({})))


def test_the_info_hash_goes_out_percent_encoded_in_the_query() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=_files({}))

    _scrape("http://tracker.test/announce?passkey=k", [bytes(range(20))], _answer(handler))
    assert seen == [
        "http://tracker.test/scrape?passkey=k&info_hash="
        "%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13"
    ]
