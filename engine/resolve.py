"""Turn a catalog source into what libtorrent is given: verified .torrent bytes or a magnet.

The .torrent file is preferred (metadata at once); it must carry the info-hash the catalog
promised (as libtorrent reads it), else it is refused. When it cannot be fetched, the magnet
is used and metadata comes from peers (bounded by ``engine_metadata_timeout`` in the engine).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from core.catalog.sources import SourceSecrets
from engine.errors import BencodeError, InfoHashMismatch, SourceResolveError
from engine.lt import info_hash_v1

MAX_TORRENT_BYTES = 8 * 1024 * 1024
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Resolved:
    info_hash: str
    torrent: bytes | None  # verified .torrent bytes, or None: start from the magnet
    magnet: str
    fetch_error: str = ""  # why the .torrent was not used, for the status page


def normalise_hash(value: str) -> str:
    text = value.strip().lower()
    if not _HEX40.match(text):
        raise SourceResolveError(f"{value!r} is not a 40-hex-digit info-hash")
    return text


def magnet_hash(magnet: str) -> str:
    """The btih of a magnet link (hex; base32 is converted)."""
    parts = urlsplit(magnet)
    if parts.scheme != "magnet":
        raise SourceResolveError("not a magnet link")
    for xt in parse_qs(parts.query).get("xt", []):
        if xt.lower().startswith("urn:btih:"):
            raw = xt[9:]
            if len(raw) == 32:
                try:
                    return base64.b32decode(raw.upper()).hex()
                except ValueError as exc:
                    raise SourceResolveError("magnet has a bad base32 btih") from exc
            return normalise_hash(raw)
    raise SourceResolveError("magnet has no urn:btih")


def build_magnet(info_hash: str, name: str = "", trackers: list[str] | None = None) -> str:
    tail = f"&dn={quote(name)}" if name else ""
    tail += "".join(f"&tr={quote(url, safe='')}" for url in trackers or [])
    return f"magnet:?xt=urn:btih:{normalise_hash(info_hash)}{tail}"


def fetch_torrent(client: httpx.Client, url: str, expected_hash: str) -> bytes:
    """GET ``url`` and check the info-hash; raises :class:`SourceResolveError` subclasses."""
    if not url.startswith(("http://", "https://")):
        raise SourceResolveError(f"torrent URL {url!r} is not http(s)")
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise SourceResolveError(f"GET {url} answered {response.status_code}")
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > MAX_TORRENT_BYTES:
                    raise SourceResolveError(f"GET {url}: .torrent larger than 8 MiB")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise SourceResolveError(f"GET {url} failed: {exc!r}") from exc
    data = b"".join(chunks)
    try:
        actual = info_hash_v1(data)
    except BencodeError as exc:
        raise SourceResolveError(f"GET {url}: not a .torrent file ({exc})") from exc
    if actual != expected_hash:
        raise InfoHashMismatch(
            f"GET {url}: torrent has info-hash {actual}, catalog expects {expected_hash}"
        )
    return data


def resolve(
    client: httpx.Client, secrets: SourceSecrets, extra_trackers: list[str] | None = None
) -> Resolved:
    """Prefer the verified .torrent; fall back to the magnet (with the extra trackers).

    A .torrent whose info-hash differs from the catalog's is discarded like an unreachable
    one: the magnet names the hash itself, so what is downloaded is still what was ranked.
    """
    info_hash = normalise_hash(secrets.info_hash)
    magnet = secrets.magnet or build_magnet(info_hash)
    if magnet_hash(magnet) != info_hash:
        raise InfoHashMismatch(f"magnet of source names {magnet_hash(magnet)}, not {info_hash}")
    if extra_trackers:
        magnet += "".join(f"&tr={quote(url, safe='')}" for url in extra_trackers)
    if not secrets.torrent_url:
        return Resolved(info_hash, None, magnet, "no torrent URL")
    try:
        return Resolved(info_hash, fetch_torrent(client, secrets.torrent_url, info_hash), magnet)
    except SourceResolveError as exc:  # a wrong or unreachable file is never used
        return Resolved(info_hash, None, magnet, str(exc))
