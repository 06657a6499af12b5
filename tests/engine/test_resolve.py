"""Source resolution: verified .torrent preferred, magnet fallback, hostile inputs refused."""

from __future__ import annotations

import httpx
import pytest

from core.catalog.sources import SourceSecrets
from engine.errors import InfoHashMismatch, SourceResolveError
from engine.lt import info_hash_v1
from engine.resolve import build_magnet, fetch_torrent, magnet_hash, resolve
from sandbox.bencode import bencode
from tests.engine.test_info_hash import HOSTILE

TORRENT = bencode({"announce": "http://t/announce", "info": {"name": "m.mp4", "length": 5,
                   "piece length": 16384, "pieces": b"\x00" * 20}})  # fmt: skip
HASH = info_hash_v1(TORRENT)
OTHER_TORRENT = bencode({"info": {"name": "other", "length": 1, "piece length": 16384,
                         "pieces": b"\x00" * 20}})  # fmt: skip


def client(handler: object) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_fetched_torrent_with_the_catalog_hash_is_used() -> None:
    http = client(lambda request: httpx.Response(200, content=TORRENT))
    resolved = resolve(http, SourceSecrets(HASH, build_magnet(HASH), "http://yts/t.torrent"))
    assert resolved.torrent == TORRENT and resolved.fetch_error == ""


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404), "404"),
        (httpx.Response(200, content=b"<html>not a torrent</html>"), "not a .torrent"),
        (httpx.Response(200, content=OTHER_TORRENT), "info-hash"),
        (
            httpx.Response(200, content=bencode({"info": {"name": "other", "length": 1}})),
            "not a .torrent",
        ),
        (httpx.Response(200, content=b"d4:infod" + b"1:a" * 3_000_000), "8 MiB"),
    ],
)
def test_bad_torrent_downloads_fall_back_to_the_magnet(
    response: httpx.Response, reason: str
) -> None:
    http = client(lambda request: response)
    resolved = resolve(
        http,
        SourceSecrets(HASH, build_magnet(HASH), "http://yts/t.torrent"),
        ["http://extra/announce"],
    )
    assert resolved.torrent is None
    assert reason in resolved.fetch_error
    assert "tr=http%3A%2F%2Fextra%2Fannounce" in resolved.magnet


@pytest.mark.parametrize("data", HOSTILE)
def test_hostile_torrent_bodies_are_refused_by_fetch(data: bytes) -> None:
    http = client(lambda request: httpx.Response(200, content=data))
    with pytest.raises(SourceResolveError, match=r"GET http://yts/t.torrent: not a .torrent file"):
        fetch_torrent(http, "http://yts/t.torrent", HASH)


def test_network_errors_fall_back_to_the_magnet() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    resolved = resolve(
        client(boom), SourceSecrets(HASH, build_magnet(HASH), "http://yts/t.torrent")
    )
    assert resolved.torrent is None and "refused" in resolved.fetch_error


def test_wrong_hash_raises_mismatch_from_fetch() -> None:
    http = client(lambda request: httpx.Response(200, content=TORRENT))
    with pytest.raises(InfoHashMismatch):
        fetch_torrent(http, "http://yts/t.torrent", "f" * 40)


def test_magnet_for_another_hash_is_refused() -> None:
    with pytest.raises(InfoHashMismatch):
        resolve(
            client(lambda r: httpx.Response(404)), SourceSecrets(HASH, build_magnet("e" * 40), None)
        )


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/t.torrent", "javascript:alert(1)"])
def test_non_http_torrent_urls_are_refused(url: str) -> None:
    with pytest.raises(SourceResolveError):
        fetch_torrent(client(lambda r: httpx.Response(200, content=TORRENT)), url, HASH)


def test_magnet_hash_accepts_hex_and_base32() -> None:
    assert magnet_hash(f"magnet:?xt=urn:btih:{HASH.upper()}&dn=x") == HASH
    import base64

    b32 = base64.b32encode(bytes.fromhex(HASH)).decode()
    assert magnet_hash(f"magnet:?xt=urn:btih:{b32}") == HASH


@pytest.mark.parametrize(
    "magnet",
    ["http://x", "magnet:?dn=x", "magnet:?xt=urn:btih:zz", "magnet:?xt=urn:btih:" + "!" * 32],
)
def test_bad_magnets_raise(magnet: str) -> None:
    with pytest.raises(SourceResolveError):
        magnet_hash(magnet)
