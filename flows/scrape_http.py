"""HTTP tracker scrape (BEP 48): ``GET <scrape URL>?info_hash=<20 bytes>&info_hash=...``.

The scrape URL is the announce URL with its last path segment ``announce...`` replaced by
``scrape...``; a tracker whose announce URL does not end that way does not scrape. The
answer is ``d5:filesd<20-byte hash>d8:completei..e10:incompletei..e10:downloadedi..eee``.
Everything a tracker sends is checked: size, bencoding, hashes that were not asked, counts
out of range. Info hashes are secrets: they never appear in errors or logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_from_bytes, urlsplit, urlunsplit

import httpx

from flows.bdecode import BencodeError, Value, bdecode
from flows.errors import FlowsError

MAX_ANSWER_BYTES = 256 * 1024
MAX_HASHES_PER_REQUEST = 50  # URL length stays ~3 KB
MAX_COUNT = 10_000_000


class ScrapeError(FlowsError):
    """A tracker gave no usable scrape answer (the message names the tracker, no hash)."""


@dataclass(frozen=True)
class SwarmCounts:
    seeders: int
    leechers: int
    completed: int


def tracker_label(url: str) -> str:
    """``scheme://host:port`` of a tracker: what may be logged and stored (no path, no
    query, no credentials: private trackers carry passkeys there)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: say so rather than echo it
        port = ":?"
    return f"{parts.scheme}://{host}{port}"


def scrape_url(announce: str) -> str | None:
    """BEP 48's announce -> scrape rule; None when the tracker cannot be scraped."""
    parts = urlsplit(announce)
    if parts.scheme not in ("http", "https"):
        return None
    head, _, last = parts.path.rpartition("/")
    if not last.startswith("announce"):
        return None
    path = f"{head}/scrape{last[len('announce') :]}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _count(stats: dict[bytes, Value], key: bytes, label: str) -> int:
    value = stats.get(key, 0)
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        raise ScrapeError(f"{label}: {key.decode()} is not a count")
    return value


def parse_scrape(body: bytes, asked: Sequence[bytes], label: str) -> dict[bytes, SwarmCounts]:
    """Counts per asked hash the tracker knows; raises :class:`ScrapeError` on garbage."""
    try:
        answer = bdecode(body)
    except BencodeError as exc:
        raise ScrapeError(f"{label}: malformed bencode ({exc})") from None
    if not isinstance(answer, dict):
        raise ScrapeError(f"{label}: answer is not a dictionary")
    if b"failure reason" in answer:
        reason = answer[b"failure reason"]
        text = reason.decode("utf-8", "replace")[:200] if isinstance(reason, bytes) else "?"
        raise ScrapeError(f"{label}: tracker refused: {text}")
    files = answer.get(b"files")
    if not isinstance(files, dict):
        raise ScrapeError(f"{label}: no files dictionary")
    wanted = set(asked)
    if len(files) > len(wanted):
        raise ScrapeError(f"{label}: {len(files)} entries for {len(wanted)} hashes asked")
    counts: dict[bytes, SwarmCounts] = {}
    for key, stats in files.items():
        if key not in wanted:
            raise ScrapeError(f"{label}: answered about a torrent it was not asked about")
        if not isinstance(stats, dict):
            raise ScrapeError(f"{label}: entry is not a dictionary")
        counts[key] = SwarmCounts(
            _count(stats, b"complete", label),
            _count(stats, b"incomplete", label),
            _count(stats, b"downloaded", label),
        )
    return counts


async def _read_bounded(response: httpx.Response, label: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise ScrapeError(f"{label}: answer larger than {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def scrape_http(
    client: httpx.AsyncClient, announce: str, hashes: Sequence[bytes]
) -> dict[bytes, SwarmCounts]:
    """Scrape ``hashes`` (20-byte) from an HTTP tracker, in requests of up to 50 hashes."""
    label = tracker_label(announce)
    url = scrape_url(announce)
    if url is None:
        raise ScrapeError(f"{label}: announce URL has no scrape counterpart")
    if any(len(h) != 20 for h in hashes):
        raise ValueError("info hashes must be 20 bytes")
    counts: dict[bytes, SwarmCounts] = {}
    for start in range(0, len(hashes), MAX_HASHES_PER_REQUEST):
        batch = list(hashes[start : start + MAX_HASHES_PER_REQUEST])
        query = "&".join("info_hash=" + quote_from_bytes(h, safe="") for h in batch)
        full = f"{url}{'&' if '?' in url else '?'}{query}"
        try:
            async with client.stream("GET", full) as response:
                if response.status_code != 200:
                    raise ScrapeError(f"{label}: HTTP {response.status_code}")
                body = await _read_bounded(response, label)
        except httpx.HTTPError as exc:
            raise ScrapeError(f"{label}: {type(exc).__name__}") from None
        counts.update(parse_scrape(body, batch, label))
    return counts
