"""Text tracks inside the film (MP4 ``tx3g``): listed after the subtitle files, served by
time window (only that window's pieces fetched), hostile windows refused with 400, an index
that does not arrive leaves the files listed; and the whole path against a real libtorrent
swarm on loopback, for an MP4 whose index sits at the end."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from engine import inner_text as inner_text_module
from engine import lt
from engine.errors import SubtitleWindowError
from engine.file_bytes import read_spans
from engine.inner_text import inner_tracks
from engine.lt import FileEntry, TorrentMeta
from engine.mp4_text import find_moov, text_tracks
from engine.subtitles import MAX_WINDOW_SECONDS, http_error, list_for, parse_window, read_vtt
from engine.torrents import ActiveTorrent
from sandbox.demo_media import DemoVideo, render
from sandbox.swarm import Seeder, make_torrent
from sandbox.tracker import Tracker
from tests.engine.conftest import (
    CatalogSource,
    start_engine,
    stop_engine,
    with_bt_port,
    write_catalog,
)
from tests.engine.fake_torrent import FakeHandle, active_torrent
from tests.engine.test_mkv_text import ENGLISH, SPANISH, Films, films  # noqa: F401 (fixture)
from tests.engine.test_subtitles import cues_of

TINY = DemoVideo("tiny-embedded.mp4", 320, 180, 8, 400, False, "Tiny",
                 embedded_subtitles=True)  # fmt: skip
PIECE = 16384
_hashes = (f"{n:040x}" for n in itertools.count(0xE0))


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(TINY, tmp_path_factory.mktemp("embedded"))


def _torrent(paths_sizes: list[tuple[str, int]], data: bytes) -> tuple[ActiveTorrent, FakeHandle]:
    """An ActiveTorrent over a fake handle holding ``data`` (every piece still missing)."""
    files, offset = [], 0
    for index, (path, size) in enumerate(paths_sizes):
        files.append(FileEntry(index, path, size, offset))
        offset += size
    meta = TorrentMeta(next(_hashes), "Pack", PIECE, -(-offset // PIECE), offset, tuple(files))
    handle = FakeHandle(meta.num_pieces, info_hash=meta.info_hash, data=data)
    main = next(f for f in files if f.path.endswith((".mp4", ".mkv", ".avi")))
    return active_torrent(meta, handle, main), handle


def _arrive(torrent: ActiveTorrent, handle: FakeHandle) -> None:
    for piece in range(handle.pieces):
        torrent.on_piece(piece)


def test_embedded_tracks_are_listed_after_the_files_with_their_languages(film: Path) -> None:
    data = film.read_bytes()
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nfile\n"
    torrent, handle = _torrent([("Pack/a.en.srt", len(srt)), ("Pack/film.mp4", len(data))],
                               srt + data)  # fmt: skip
    _arrive(torrent, handle)
    tracks = list_for(torrent, timeout=5)
    assert [(t["index"], t["label"], t["language"], t.get("embedded", False)) for t in tracks] == [
        (0, "English", "en", False),
        (1, "English (embedded)", "en", True),
        (2, "Spanish (embedded)", "es", True),
    ]
    assert tracks[1]["format"] == "tx3g" and tracks[1]["path"] == "subtitles/1.vtt"
    assert tracks[1]["window_seconds"] == 60 and tracks[1]["size_bytes"] > 0


def test_a_window_serves_the_cues_starting_in_it_and_fetches_only_their_pieces(
    film: Path,
) -> None:
    data = film.read_bytes()
    torrent, handle = _torrent([("Pack/film.mp4", len(data))], data)
    _arrive(torrent, handle)
    first = read_vtt(torrent, 0, timeout=5, window=(0.0, 4.0))
    assert cues_of(first) == [
        ("00:00:00.500 --> 00:00:03.000", "<i>Tiny</i>: second 0"),
        ("00:00:03.500 --> 00:00:06.000", "The cat sees you."),
    ]
    spanish = read_vtt(torrent, 1, timeout=5, window=(3.5, 600.0))
    assert cues_of(spanish) == [
        ("00:00:03.500 --> 00:00:06.000", "El gato."),
        ("00:00:06.500 --> 00:00:08.000", "Segundo 6: ¿Qué tal?\n¡Buenos días!"),
    ]
    assert read_vtt(torrent, 0, timeout=5, window=(100.0, 160.0)) == "WEBVTT\n"
    # on a fresh torrent holding only the index, a window asks for its cues' pieces only
    fresh, fresh_handle = _torrent([("Pack/film.mp4", len(data))], data)
    index_pieces = [p for p in range(fresh_handle.pieces) if p == 0 or p >= len(data) // PIECE - 2]
    for piece in index_pieces:
        fresh.on_piece(piece)
    moov = find_moov(data)
    assert moov is not None
    sample = text_tracks(moov)[0].samples[2]  # 6.5 s, mid-file
    wanted = sample.offset // PIECE
    fresh_handle.deadlines.clear()
    with pytest.raises(Exception, match="did not arrive"):
        read_vtt(fresh, 0, timeout=0.3, window=(6.0, 7.0))
    assert set(fresh_handle.deadlines) == {wanted} - set(index_pieces)


def test_matroska_text_tracks_are_listed_and_served_by_window(films: Films) -> None:  # noqa: F811
    """An MKV's SRT and ASS tracks: flags from the file, a window sized by the bitrate, and a
    window's cues read from the clusters of that window only."""
    data = films.mkv
    torrent, handle = _torrent([("Pack/film.mkv", len(data))], data)
    _arrive(torrent, handle)
    tracks = list_for(torrent, timeout=5)
    assert [(t["label"], t["language"], t["format"], t["sdh"], t["forced"]) for t in tracks] == [
        ("English (SDH, embedded)", "en", "S_TEXT/UTF8", True, False),
        ("Spanish (forced, embedded)", "es", "S_TEXT/ASS", False, True),
    ]
    assert tracks[0]["name"] == "English SDH" and 5 <= tracks[0]["window_seconds"] <= 60
    english = read_vtt(torrent, 0, timeout=5, window=(3.0, 7.0))
    assert cues_of(english) == [
        ("00:00:03.500 --> 00:00:05.000", ENGLISH[1][2]),
        ("00:00:06.500 --> 00:00:08.000", ENGLISH[2][2]),
    ]
    spanish = read_vtt(torrent, 1, timeout=5, window=(9.0, 60.0))
    assert cues_of(spanish) == [("00:00:09.500 --> 00:00:11.000", SPANISH[3][2])]
    without_cues = films.plain_mkv
    plain, plain_handle = _torrent([("Pack/plain.mkv", len(without_cues))], without_cues)
    _arrive(plain, plain_handle)
    assert list_for(plain, timeout=5) == []


def test_an_embedded_track_needs_a_window_and_a_sane_one() -> None:
    assert parse_window(None, None) is None
    assert parse_window("0", "60") == (0.0, 60.0)
    assert parse_window("59.5", "119.5") == (59.5, 119.5)
    for start, end in [("1", None), (None, "2"), ("a", "2"), ("nan", "2"), ("0", "inf"),
                       ("5", "5"), ("6", "5"), ("-1", "2"), ("0", str(MAX_WINDOW_SECONDS + 1)),
                       ("1" * 20, "2"), ("0x10", "20"), ("", "")]:  # fmt: skip
        with pytest.raises(SubtitleWindowError) as refused:
            parse_window(start, end)
        assert http_error(refused.value) == (400, "bad_window"), (start, end)


def test_a_film_without_text_tracks_or_another_container_lists_no_embedded_track() -> None:
    junk = b"\x00" * 50_000
    avi, handle = _torrent([("Pack/film.avi", len(junk))], junk)
    reads: list[int] = []
    handle.read_piece = reads.append  # type: ignore[method-assign]
    assert inner_tracks(avi, timeout=0) == [] and reads == []  # nothing read
    for name in ("Pack/film.mp4", "Pack/film.mkv"):  # not what their names say: none
        garbage, handle = _torrent([(name, len(junk))], junk)
        _arrive(garbage, handle)
        assert list_for(garbage, timeout=5) == []
        with pytest.raises(Exception, match="no subtitle track 0"):
            read_vtt(garbage, 0, timeout=5, window=(0.0, 1.0))


def test_an_index_that_does_not_arrive_leaves_the_files_listed(film: Path) -> None:
    data = film.read_bytes()
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nfile\n"
    torrent, handle = _torrent([("Pack/a.en.srt", len(srt)), ("Pack/film.mp4", len(data))],
                               srt + data)  # fmt: skip
    assert [t["index"] for t in list_for(torrent, timeout=0.3)] == [0]
    _arrive(torrent, handle)  # the index came in: the next listing has the embedded tracks
    assert [t["index"] for t in list_for(torrent, timeout=5)] == [0, 1, 2]


def test_spans_across_piece_boundaries_come_back_byte_exact() -> None:
    data = bytes(range(256)) * 300  # 76,800 bytes: 5 pieces
    torrent, handle = _torrent([("Pack/film.mp4", len(data))], data)
    _arrive(torrent, handle)
    spans = [(0, 10), (PIECE - 3, 7), (PIECE * 2 - 1, PIECE + 2), (len(data) - 5, 50), (10, 0)]
    got = read_spans(torrent, torrent.main, spans, timeout=5)
    assert got == [data[0:10], data[PIECE - 3 : PIECE + 4], data[PIECE * 2 - 1 : PIECE * 3 + 1],
                   data[-5:], b""]  # fmt: skip


# --- a real swarm --------------------------------------------------------------------------


def test_embedded_subtitle_routes_against_a_real_swarm(
    film: Path, tracker: Tracker, settings: Settings, cipher: FieldCipher
) -> None:
    torrent = make_torrent(film, trackers=[tracker.announce_url], piece_size=PIECE, video=TINY)
    assert lt.parse_torrent(torrent.torrent).files[0].path == "tiny-embedded.mp4"
    write_catalog(settings.catalog_path, cipher, [CatalogSource(
        "src-embedded", 202, torrent, torrent.info_hash,
        magnet=torrent.magnet([tracker.announce_url]),
    )])  # fmt: skip
    answers: dict[str, Any] = {}
    with Seeder() as seeder:
        seeder.seed(torrent)
        run = start_engine(with_bt_port(settings))
        try:
            base = f"{run.url('alice', 'src-embedded')}/subtitles"
            with httpx.Client(timeout=60) as client:
                answers["listing"] = client.get(base)
                answers["window"] = client.get(f"{base}/1.vtt", params={"from": 0, "to": 60})
                answers["late"] = client.get(f"{base}/0.vtt", params={"from": 6, "to": 66})
                answers["whole"] = client.get(f"{base}/0.vtt")
                answers["bad"] = client.get(f"{base}/0.vtt", params={"from": "nan", "to": 1})
                answers["wide"] = client.get(f"{base}/0.vtt", params={"from": 0, "to": 1e9})
                answers["missing"] = client.get(f"{base}/2.vtt", params={"from": 0, "to": 1})
        finally:
            stop_engine(run)
    listing = answers["listing"]
    assert listing.status_code == 200
    assert [(t["label"], t["embedded"]) for t in listing.json()["tracks"]] == [
        ("English (embedded)", True), ("Spanish (embedded)", True)
    ]  # fmt: skip
    window = answers["window"]
    assert window.status_code == 200
    assert window.headers["content-type"] == "text/vtt; charset=utf-8"
    assert window.headers["access-control-allow-origin"] == "*"
    assert [cue for cue, _ in cues_of(window.text)] == [
        "00:00:00.500 --> 00:00:03.000", "00:00:03.500 --> 00:00:06.000",
        "00:00:06.500 --> 00:00:08.000",
    ]  # fmt: skip
    assert cues_of(answers["late"].text) == [
        ("00:00:06.500 --> 00:00:08.000", "<i>Tiny</i>: second 6")
    ]
    for name, code in (("whole", "window_required"), ("bad", "bad_window"),
                       ("wide", "bad_window")):  # fmt: skip
        assert answers[name].status_code == 400, name
        assert answers[name].json()["error"]["code"] == code
        assert answers[name].headers["access-control-allow-origin"] == "*"
    assert answers["missing"].status_code == 404


def test_one_request_reads_a_films_index_and_the_others_do_not_queue_behind_it(
    film: Path,
) -> None:
    """A listing waits for the index in one of the engine's work threads: while one does,
    another for the same film answers at once with the files only."""
    data = film.read_bytes()
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nfile\n"
    torrent, handle = _torrent([("Pack/a.en.srt", len(srt)), ("Pack/film.mp4", len(data))],
                               srt + data)  # fmt: skip
    first: list[list[int]] = []
    waiting = threading.Thread(
        target=lambda: first.append([t["index"] for t in list_for(torrent, timeout=20)])
    )
    waiting.start()
    deadline = time.monotonic() + 3
    while not handle.deadlines and time.monotonic() < deadline:
        time.sleep(0.01)  # the first listing is waiting for the index's pieces
    assert [t["index"] for t in list_for(torrent, timeout=30)] == [0]
    assert waiting.is_alive()  # answered while the first still waits: not queued behind it
    _arrive(torrent, handle)
    waiting.join(10)
    assert first == [[0, 1, 2]]


def test_a_listing_arriving_as_the_index_reader_lets_go_does_not_read_it_again(
    film: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is cached before its reader releases the film: a listing that comes the
    moment it does is answered from the cache, and the index is read once."""
    data = film.read_bytes()
    torrent, handle = _torrent([("Pack/film.mp4", len(data))], data)
    _arrive(torrent, handle)
    key = (torrent.info_hash, torrent.main.index)
    reads: list[int] = []
    real_read = inner_text_module._mp4_tracks

    def counting_read(*args: Any) -> Any:
        reads.append(1)
        return real_read(*args)

    late: list[int] = []

    class ListingOnRelease:
        """The module's lock; once the reader has let go of the film, another listing."""

        def __init__(self) -> None:
            self.lock, self.fired = threading.Lock(), False

        def __enter__(self) -> None:
            self.lock.acquire()

        def __exit__(self, *exc: object) -> None:
            self.lock.release()
            if not self.fired and key not in inner_text_module._reading:
                self.fired = True
                late.append(len(inner_tracks(torrent, timeout=5)))

    monkeypatch.setattr(inner_text_module, "_mp4_tracks", counting_read)
    monkeypatch.setattr(inner_text_module, "_reading_lock", ListingOnRelease())
    assert len(inner_tracks(torrent, timeout=5)) == 2
    assert late == [2]
    assert reads == [1]
