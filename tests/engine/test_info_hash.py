"""Info-hashes of .torrent bytes through libtorrent (``engine.lt``): the SHA-1 of the raw
``info`` dictionary, and a clean :class:`BencodeError` for broken or hostile input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine import lt
from engine.errors import BencodeError

INFO = b"d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:" + b"\x01" * 20 + b"e"

# Broken bencoding, a bencoded value that is not a torrent, and hostile sizes or depths.
HOSTILE = [
    b"",
    b"i",
    b"i01e",
    b"i-0e",
    b"ie",
    b"i1x2e",
    b"5:abc",
    b"l",
    b"d1:a",
    b"di1ei2ee",
    b"01:a",
    b"x",
    b"i1ei2e",
    b"99999999999999:a",
    b"l" * 100 + b"e" * 100,
    b"le",
    b"d8:announce3:urle",
    b"not a torrent",
    b"<html>not a torrent</html>",
    b"d4:info",
    b"d4:infod4:name5:other6:lengthi1eee",  # an info dictionary without pieces
    b"d4:info" + b"d1:a" * 200 + b"i1e" + b"e" * 201,  # nested past libtorrent's limit
    b"d4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:" + b"\x01" * 19 + b"ee",
]


def test_info_hash_is_sha1_of_the_raw_info_dictionary() -> None:
    torrent = b"d8:announce3:url4:info" + INFO + b"e"
    assert lt.info_hash_v1(torrent) == hashlib.sha1(INFO).hexdigest()  # noqa: S324


def test_info_hash_of_a_non_canonical_torrent_hashes_the_bytes_as_written() -> None:
    unsorted = b"d4:name1:a6:lengthi5e12:piece lengthi16384e6:pieces20:" + b"\x01" * 20 + b"e"
    torrent = b"d4:info" + unsorted + b"8:announce3:urle"
    assert lt.info_hash_v1(torrent) == hashlib.sha1(unsorted).hexdigest()  # noqa: S324


@pytest.mark.parametrize("data", HOSTILE)
def test_broken_or_hostile_torrents_raise_bencode_error(data: bytes) -> None:
    with pytest.raises(BencodeError, match="libtorrent refused it"):
        lt.info_hash_v1(data)


def test_a_v2_only_torrent_has_no_v1_hash(tmp_path: Path) -> None:
    import libtorrent  # building a v2-only file needs more than the shim offers

    (tmp_path / "a.bin").write_bytes(b"\x07" * 40_000)
    storage = libtorrent.file_storage()
    libtorrent.add_files(storage, str(tmp_path / "a.bin"))
    creator = libtorrent.create_torrent(storage, 16384, flags=libtorrent.create_torrent.v2_only)
    libtorrent.set_piece_hashes(creator, str(tmp_path))
    with pytest.raises(BencodeError, match="v2-only"):
        lt.info_hash_v1(libtorrent.bencode(creator.generate()))


@pytest.mark.parametrize("data", [b"", b"ie", b"5:abc", b"l", b"x", b"l" * 100 + b"e" * 100])
def test_bdecode_of_broken_input_raises_bencode_error(data: bytes) -> None:
    with pytest.raises(BencodeError):
        lt.bdecode(data)
