"""Subtitles: SRT/WebVTT/ASS to WebVTT, charsets, hostile input, language guesses, the
listing of a multi-file torrent, pieces of another file fetched through an ActiveTorrent,
and the whole path against a real libtorrent swarm on loopback."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from engine import lt
from engine.errors import StreamStalled, SubtitleError, SubtitleNotFound
from engine.pieces import PRIO_WINDOW
from engine.service import StreamingEngine
from engine.subtitles import (
    MAX_TRACKS,
    fetch_file_bytes,
    guess_language,
    http_error,
    list_for,
    read_vtt,
    subtitle_files,
)
from engine.webvtt import MAX_CUES, MAX_INPUT_BYTES, MAX_LINE_CHARS, decode_text, to_webvtt
from sandbox.demo_media import DemoVideo, render, write_subtitles
from sandbox.swarm import Seeder, make_directory_torrent
from sandbox.tracker import Tracker
from tests.engine.conftest import (
    CatalogSource,
    start_engine,
    stop_engine,
    with_bt_port,
    write_catalog,
)
from tests.engine.fake_torrent import FakeHandle, active_torrent, torrent_meta

SPANISH = "¿Dónde está el niño? ¡Qué señal, señor!"


def cues_of(vtt: str) -> list[tuple[str, str]]:
    """(timing line, text) of each cue of a WebVTT text."""
    assert vtt.startswith("WEBVTT\n")
    blocks = [b for b in vtt.split("\n\n")[1:] if b.strip()]
    return [(b.split("\n", 1)[0], b.split("\n", 1)[1].rstrip("\n")) for b in blocks]


# --- SRT -----------------------------------------------------------------------------------


def test_srt_becomes_webvtt_with_dot_timestamps_and_no_cue_numbers() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,500\nHello\nthere\n\n2\n01:02:03,004 --> 01:02:04,000\nBye\n"
    )
    assert to_webvtt(srt.encode(), "srt") == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\nthere\n\n"
        "01:02:03.004 --> 01:02:04.000\nBye\n"
    )


def test_srt_with_crlf_bom_and_missing_blank_lines_keeps_every_cue() -> None:
    srt = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nOne\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,000\r\nTwo\r\n\r\n\r\n\r\n"
        "3\r\n00:00:05,000-->00:00:06,000 X1:10 X2:20\r\nThree\ufeff"
    )
    assert cues_of(to_webvtt(srt.encode("utf-8"), "srt")) == [
        ("00:00:01.000 --> 00:00:02.000", "One"),
        ("00:00:03.000 --> 00:00:04.000", "Two"),
        ("00:00:05.000 --> 00:00:06.000", "Three"),
    ]


def test_srt_short_fractions_and_missing_hours_are_read() -> None:
    srt = "1\n00:01,5 --> 00:02,25\nshort\n"
    assert cues_of(to_webvtt(srt.encode(), "srt")) == [("00:00:01.500 --> 00:00:02.250", "short")]


def test_srt_tags_are_kept_balanced_or_dropped_and_text_is_escaped() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\n"
        '<I>it</I> <font color="#ff0000">red</font> <b>bold <u>both</b> 1 < 2 & 3 > 2'
        " <script>x</script> --> arrow\n"
    )
    (_, text), = cues_of(to_webvtt(srt.encode(), "srt"))  # fmt: skip
    assert text == ("<i>it</i> red <b>bold <u>both</u></b> 1 &lt; 2 &amp; 3 &gt; 2 x --&gt; arrow")


def test_srt_position_override_moves_the_cue_to_the_top() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}{\\c&HFF&}Top\n"
    assert cues_of(to_webvtt(srt.encode(), "srt")) == [
        ("00:00:01.000 --> 00:00:02.000 line:0", "Top")
    ]


def test_srt_cues_are_sorted_and_broken_ones_skipped() -> None:
    srt = (
        "1\n00:00:05,000 --> 00:00:06,000\nlater\n\n"
        "2\n-00:00:01,000 --> 00:00:02,000\nnegative\n\n"
        "3\n00:00:04,000 --> 00:00:03,000\nbackwards\n\n"
        "4\n99999:00:00,000 --> 99999:00:01,000\noverflow\n\n"
        "5\n00:00:01,000 --> 00:00:02,000\nfirst\n\n"
        "6\n00:00:07,000 --> 00:00:08,000\n\n"
    )
    texts = [text for _, text in cues_of(to_webvtt(srt.encode(), "srt"))]
    assert texts == ["first", "later"]


# --- WebVTT and format sniffing ------------------------------------------------------------


def test_vtt_passes_through_with_newlines_normalized() -> None:
    vtt = (
        "WEBVTT - a title\r\n\r\nNOTE hi\r\n\r\n"
        "00:01.000 --> 00:02.000 align:start\r\n<v Bob>Hi\r\n"
    )
    assert to_webvtt(vtt.encode(), "vtt") == vtt.replace("\r\n", "\n")


def test_vtt_without_header_is_refused_and_misnamed_files_are_converted() -> None:
    with pytest.raises(SubtitleError, match="WEBVTT"):
        to_webvtt(b"WEBVTTX\n\njust text\n", "vtt")
    srt_named_vtt = b"1\n00:00:01,000 --> 00:00:02,000\nreally srt\n"
    assert cues_of(to_webvtt(srt_named_vtt, "vtt")) == [
        ("00:00:01.000 --> 00:00:02.000", "really srt")
    ]
    assert to_webvtt(b"WEBVTT\n\n00:01.000 --> 00:02.000\nvtt\n", "srt").startswith("WEBVTT\n")


# --- ASS / SSA -----------------------------------------------------------------------------

ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize
Style: Default,Arial,20

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:03.00,0:00:04.50,Default,,0,0,0,,{\\i1}Hola{\\i0}, amigo, ¿qué tal?\\NSegunda línea
Dialogue: 1,0:00:03.00,0:00:04.50,Default,,0,0,0,,{\\i1}Hola{\\i0}, amigo, ¿qué tal?\\NSegunda línea
Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,not shown
Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\an8\\fs30\\pos(10,20)}Arriba\\hya
Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}Dibujo
Dialogue: 0,0:00:07.00,0:00:08.00,Default,,0,0,0,,{\\b1}<b> & {unclosed
"""


def test_ass_dialogue_becomes_sorted_cues_without_override_tags() -> None:
    assert cues_of(to_webvtt(ASS.encode("utf-8"), "ass")) == [
        ("00:00:01.000 --> 00:00:02.000 line:0", "Arriba\u00a0ya"),
        ("00:00:03.000 --> 00:00:04.500", "<i>Hola</i>, amigo, ¿qué tal?\nSegunda línea"),
        ("00:00:05.000 --> 00:00:06.000", "Dibujo"),
        ("00:00:07.000 --> 00:00:08.000", "<b><b> &amp; {unclosed</b></b>"),
    ]


def test_ssa_follows_its_own_format_order() -> None:
    ssa = (
        "[Script Info]\nScriptType: v4.00\n\n[Events]\n"
        "Format: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: Marked=0,0:00:01.00,0:00:02.00,*Default,NTP,0000,0000,0000,,Uno, dos\n"
        "[events]\nformat: Start, End, Text\n"
        "dialogue: 0:00:03.00,0:00:04.00,Tres, cuatro\n"
    )
    assert cues_of(to_webvtt(ssa.encode(), "ssa")) == [
        ("00:00:01.000 --> 00:00:02.000", "Uno, dos"),
        ("00:00:03.000 --> 00:00:04.000", "Tres, cuatro"),
    ]


# --- charsets ------------------------------------------------------------------------------


def _srt(text: str, cues: int = 1) -> str:
    return "".join(
        f"{n}\r\n00:00:{n:02d},000 --> 00:00:{n:02d},900\r\n{text}\r\n\r\n"
        for n in range(1, cues + 1)
    )


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("cp1252", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
     ("utf-16-be", b"\xfe\xff"), ("utf-8", b""), ("utf-16-le", b"")],
)  # fmt: skip
def test_srt_text_is_decoded_in_its_charset(encoding: str, prefix: bytes) -> None:
    data = prefix + _srt(SPANISH, cues=3).encode(encoding)
    texts = {text for _, text in cues_of(to_webvtt(data, "srt"))}
    assert texts == {SPANISH}


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("Ça va très bien, merci. « Où êtes-vous ? »", "cp1252"),
     ("Grüße aus Köln, das Mädchen heißt Jürgen.", "cp1252"),
     ("¿Qué?", "cp1252"),
     ("Zażółć gęślą jaźń, proszę bardzo. Dziękuję za wszystko.", "cp1250"),
     ("Привет, как дела? Всё хорошо, спасибо. Увидимся завтра утром.", "cp1251")],
)  # fmt: skip
def test_legacy_charsets_are_detected(text: str, encoding: str) -> None:
    assert decode_text(_srt(text, cues=4).encode(encoding)) == _srt(text, cues=4).replace(
        "\r\n", "\n"
    )


def test_ass_in_cp1252_is_decoded() -> None:
    vtt = to_webvtt(ASS.encode("cp1252"), "ass")
    assert "¿qué tal?\nSegunda línea" in vtt


def test_bytes_undefined_in_cp1252_fall_back_without_error() -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9 \x81\x8d\n"
    assert "caf" in to_webvtt(data, "srt")


# --- hostile input -------------------------------------------------------------------------


def test_binary_junk_is_refused_clearly() -> None:
    with pytest.raises(SubtitleError, match="not a text file"):
        to_webvtt(bytes(range(256)) * 64, "srt")
    with pytest.raises(SubtitleError, match="no subtitle cue"):
        to_webvtt(bytes(range(128, 256)) * 64, "srt")
    with pytest.raises(SubtitleError, match="no subtitle cue"):
        to_webvtt(b"", "ass")
    with pytest.raises(SubtitleError, match="unknown subtitle format"):
        to_webvtt(b"x", "sub")


def test_oversized_input_and_too_many_cues_are_refused() -> None:
    with pytest.raises(SubtitleError, match="over"):
        to_webvtt(b"a" * (MAX_INPUT_BYTES + 1), "srt")
    cue = b"00:00:00,000 --> 00:00:01,000\nx\n\n"
    with pytest.raises(SubtitleError, match="over"):
        to_webvtt(cue * 1_000_000, "srt")  # a million cues is far over the size bound
    many = (MAX_CUES + 10) * cue
    assert len(many) <= MAX_INPUT_BYTES
    with pytest.raises(SubtitleError, match="more than"):
        to_webvtt(many, "srt")


def test_huge_lines_and_deep_tags_give_a_bounded_result() -> None:
    started = time.monotonic()
    line = "<i>" * 100_000 + "a" * 2_000_000 + "</i>" * 10
    vtt = to_webvtt(f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n".encode(), "srt")
    (_, text), = cues_of(vtt)  # fmt: skip
    assert len(text) < MAX_LINE_CHARS * 2
    assert text.count("<i>") == text.count("</i>") <= 8
    one_line = "-->" + "9" * (MAX_INPUT_BYTES - 10)
    with pytest.raises(SubtitleError):
        to_webvtt(one_line.encode(), "srt")
    ass_line = "[Events]\nDialogue: 0,0:00:01.00,0:00:02.00,D,,0,0,0,," + "{\\i1" * 500_000
    assert cues_of(to_webvtt(ass_line.encode(), "ass"))
    assert time.monotonic() - started < 10


# --- languages and listing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "video_stem", "language", "forced", "sdh"),
    [("Movie.2019.en.srt", "", "en", False, False),
     ("English.srt", "", "en", False, False),
     ("2_English.srt", "", "en", False, False),
     ("Subs/Spanish.srt", "", "es", False, False),
     ("Subs/English/1.srt", "", "en", False, False),
     ("Movie.2019.1080p.en.forced.srt", "Movie.2019.1080p", "en", True, False),
     ("Movie.2019.SDH.eng.srt", "", "en", False, True),
     ("Movie.pt-BR.srt", "", "pt-BR", False, False),
     ("Subs/3_Latino.srt", "", "es-419", False, False),
     ("Movie.zh-Hans.ass", "", "zh-Hans", False, False),
     ("Subs/12_French.forced.srt", "", "fr", True, False),
     ("It.2017.srt", "", "und", False, False),  # "it" is the title, not Italian
     ("It.2017.1080p.srt", "It.2017.1080p", "und", False, False),
     ("Movie.2019.1080p.srt", "Movie.2019.1080p", "und", False, False)],
)  # fmt: skip
def test_language_is_guessed_from_names_and_folders(
    path: str, video_stem: str, language: str, forced: bool, sdh: bool
) -> None:
    guess = guess_language(path, video_stem)
    assert (guess.language, guess.forced, guess.sdh) == (language, forced, sdh)


RELEASE = [
    ("Movie (2019)/Subs/2_English.srt", 40_000),
    ("Movie (2019)/Subs/3_English.srt", 42_000),
    ("Movie (2019)/Movie.2019.1080p.mp4", 900_000_000),
    ("Movie (2019)/Movie.2019.1080p.srt", 30_000),
    ("Movie (2019)/Subs/Spanish.ASS", 50_000),
    ("Movie (2019)/Subs/10_English.SDH.srt", 45_000),
    ("Movie (2019)/Subs/English.forced.vtt", 2_000),
    ("Movie (2019)/Subs/Huge.French.srt", 6_000_000),
    ("Movie (2019)/Subs/Empty.German.srt", 0),
    ("Movie (2019)/Subs/French.ssa", 20_000),
    ("Movie (2019)/Subs/English.sub", 300_000),
    ("Movie (2019)/RARBG.txt", 30),
]


def test_listing_a_release_pack_sorts_by_language_and_names_duplicates() -> None:
    meta = torrent_meta(RELEASE)
    main = meta.files[2]
    tracks = subtitle_files(meta, main)
    assert [(t.index, t.label, t.language, t.format, t.file_index) for t in tracks] == [
        (0, "English", "en", "srt", 0),
        (1, "English 2", "en", "srt", 1),
        (2, "English (SDH)", "en", "srt", 5),
        (3, "English (forced)", "en", "vtt", 6),
        (4, "French", "fr", "ssa", 9),
        (5, "Spanish", "es", "ass", 4),
        (6, "Subtitles", "und", "srt", 3),
    ]
    assert subtitle_files(meta, main) == tracks  # stable
    torrent = SimpleNamespace(meta=meta, main=main, info_hash=meta.info_hash, source_id="s",
                              fetch_pieces=list)  # the film's index never arrives  # fmt: skip
    listed = list_for(torrent)  # type: ignore[arg-type]
    assert listed[2] == {
        "index": 2, "label": "English (SDH)", "language": "en", "format": "srt",
        "forced": False, "sdh": True, "name": "10_English.SDH.srt", "size_bytes": 45_000,
        "path": "subtitles/2.vtt",
    }  # fmt: skip


def test_listing_is_bounded_and_single_file_torrents_have_none() -> None:
    many = [("Pack/Movie.mp4", 10**9)] + [(f"Pack/Subs/{n}_English.srt", 10) for n in range(200)]
    meta = torrent_meta(many)
    assert len(subtitle_files(meta, meta.files[0])) == MAX_TRACKS
    single = torrent_meta([("Movie.mp4", 10**8)])
    assert subtitle_files(single, single.files[0]) == []


def test_read_vtt_converts_the_chosen_track_with_the_callers_bytes() -> None:
    meta = torrent_meta(
        [("Pack/Movie.avi", 10**6), ("Pack/Movie.es.srt", 100), ("Pack/English.srt", 9)]
    )
    torrent = SimpleNamespace(meta=meta, main=meta.files[0], info_hash="cd" * 20, source_id="s")
    asked: list[int] = []

    def read(file_index: int) -> bytes:
        asked.append(file_index)
        return _srt(SPANISH).encode("cp1252") if file_index == 1 else b"junk"

    vtt = read_vtt(torrent, 1, read)  # type: ignore[arg-type]
    assert cues_of(vtt) == [("00:00:01.000 --> 00:00:01.900", SPANISH)]
    assert read_vtt(torrent, 1, read) == vtt  # type: ignore[arg-type]
    assert asked == [1]  # the second answer came from the cache
    with pytest.raises(SubtitleError, match=r"English\.srt") as unreadable:
        read_vtt(torrent, 0, read)  # type: ignore[arg-type]
    with pytest.raises(SubtitleNotFound) as missing:
        read_vtt(torrent, 2, read)  # type: ignore[arg-type]
    assert http_error(missing.value) == (404, "subtitle_not_found")
    assert http_error(unreadable.value) == (422, "subtitle_unreadable")
    assert http_error(StreamStalled("x")) == (504, "subtitle_timeout")
    assert http_error(ValueError("x")) is None


# --- pieces of another file through an ActiveTorrent ----------------------------------------


def test_fetch_pieces_keeps_another_files_pieces_wanted_through_replans() -> None:
    sub = b"1\n00:00:01,000 --> 00:00:02,000\nfrom the torrent\n" * 700  # ~2 pieces
    meta = torrent_meta([("Pack/a.en.srt", len(sub)), ("Pack/Movie.mp4", 200_000)])
    handle = FakeHandle(meta.num_pieces, data=sub + b"\0" * 200_000)
    torrent = active_torrent(meta, handle, meta.files[1])
    assert torrent.pause_if_idle(0)
    missing = torrent.fetch_pieces(range(0, 3))
    assert missing == [0, 1, 2] and handle.resumes == 1 and not torrent.paused
    assert {0, 1, 2} <= set(handle.deadlines)
    assert all(handle.priorities[p] == PRIO_WINDOW for p in (0, 1, 2))
    reader = torrent.add_reader("u", 150_000)  # a re-plan sends a new vector
    assert all(handle.priorities[p] == PRIO_WINDOW for p in (0, 1, 2))
    torrent.on_piece(0)
    assert torrent.fetch_pieces(range(0, 3)) == [1, 2]
    torrent.remove_reader(reader)
    for piece in range(meta.num_pieces):
        torrent.on_piece(piece)
    assert fetch_file_bytes(torrent, 0, timeout=5) == sub
    with pytest.raises(SubtitleNotFound):
        fetch_file_bytes(torrent, 7, timeout=1)


def test_fetch_file_bytes_times_out_with_stream_stalled() -> None:
    meta = torrent_meta([("Pack/a.en.srt", 100), ("Pack/Movie.mp4", 200_000)])
    torrent = active_torrent(meta, FakeHandle(meta.num_pieces), meta.files[1])
    with pytest.raises(StreamStalled, match="did not arrive"):
        fetch_file_bytes(torrent, 0, timeout=0.3)


# --- a real swarm --------------------------------------------------------------------------

TINY = DemoVideo("tiny-subs.mp4", 320, 180, 6, 400, True, "Tiny with subtitles", True)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media") / "tiny-subs"
    render(TINY, folder)
    write_subtitles(TINY, folder)
    return folder


def test_subtitles_of_a_seeded_multi_file_torrent_are_listed_and_served(
    release: Path, tracker: Tracker, settings: Settings, cipher: FieldCipher
) -> None:
    torrent = make_directory_torrent(
        release, trackers=[tracker.announce_url], piece_size=16384, video=TINY
    )
    meta = lt.parse_torrent(torrent.torrent)
    assert [f.path for f in meta.files] == [
        "tiny-subs/Subs/Spanish.ass", "tiny-subs/tiny-subs.en.srt", "tiny-subs/tiny-subs.mp4"
    ]  # fmt: skip
    source = CatalogSource("src-subs", 201, torrent, torrent.info_hash,
                           magnet=torrent.magnet([tracker.announce_url]))  # fmt: skip
    write_catalog(settings.catalog_path, cipher, [source])
    cfg = with_bt_port(settings, engine_utp=False, engine_readahead_seconds=2.0)
    with Seeder() as seeder:
        seeder.seed(torrent)
        engine = StreamingEngine(cfg, listen_host="127.0.0.1").start()
        try:
            active = engine.open("src-subs", user="1")
            assert active.main.path.endswith(".mp4")
            tracks = list_for(active)
            assert [(t["label"], t["language"], t["format"]) for t in tracks] == [
                ("English", "en", "srt"), ("Spanish", "es", "ass")
            ]  # fmt: skip
            english = read_vtt(active, 0, timeout=30)
            spanish = read_vtt(active, 1, timeout=30)
        finally:
            engine.close()
    assert cues_of(english)[0] == ("00:00:00.500 --> 00:00:03.000",
                                   "<i>Tiny with subtitles</i>: second 0")  # fmt: skip
    assert cues_of(spanish)[0] == ("00:00:00.500 --> 00:00:03.000",
                                   "<i>Segundo 0</i>: ¿Qué tal?\n¡Buenos días, señor!")  # fmt: skip
    assert cues_of(spanish)[1][0].endswith(" line:0")


def test_subtitle_routes_list_and_serve_webvtt_cross_origin(
    release: Path, tracker: Tracker, settings: Settings, cipher: FieldCipher
) -> None:
    import httpx

    torrent = make_directory_torrent(
        release, trackers=[tracker.announce_url], piece_size=16384, video=TINY
    )
    write_catalog(settings.catalog_path, cipher, [CatalogSource(
        "src-subs", 201, torrent, torrent.info_hash, magnet=torrent.magnet([tracker.announce_url])
    )])  # fmt: skip
    with Seeder() as seeder:
        seeder.seed(torrent)
        run = start_engine(with_bt_port(settings))
        try:
            base = f"{run.url('alice', 'src-subs')}/subtitles"
            with httpx.Client(timeout=60) as client:
                listing = client.get(base)
                spanish = client.get(f"{base}/1.vtt")
                missing = client.get(f"{base}/9.vtt")
                odd = client.get(f"{base}/..%2f..%2fetc%2fpasswd")
                foreign = client.get(f"{run.server.url}/stream/not-a-key/subtitles")
        finally:
            stop_engine(run)
    assert listing.status_code == 200
    assert listing.headers["access-control-allow-origin"] == "*"
    assert [t["path"] for t in listing.json()["tracks"]] == [
        "subtitles/0.vtt", "subtitles/1.vtt"
    ]  # fmt: skip
    assert spanish.status_code == 200
    assert spanish.headers["content-type"] == "text/vtt; charset=utf-8"
    assert spanish.headers["access-control-allow-origin"] == "*"
    assert spanish.headers["x-content-type-options"] == "nosniff"
    assert spanish.text.startswith("WEBVTT") and "¡Buenos días, señor!" in spanish.text
    for refused, status in ((missing, 404), (odd, 404), (foreign, 401)):
        assert refused.status_code == status
        assert set(refused.json()["error"]) == {"code", "message"}
    for refused in (missing, foreign):  # the player reads why, cross-origin
        assert refused.headers["access-control-allow-origin"] == "*"
    assert missing.json()["error"]["code"] == "subtitle_not_found"
