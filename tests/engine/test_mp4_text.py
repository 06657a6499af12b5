"""Text tracks (3GPP timed text, ffmpeg's ``mov_text``) read from an MP4 index: real files
rendered by ffmpeg in both layouts, hand-built indexes that are valid, edited, or hostile
(always :class:`Mp4TextError`, never another exception), tx3g samples turned into WebVTT
cue text, and a seeded fuzz over a real index."""

from __future__ import annotations

import random
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from engine import mp4_text
from engine.mp4_text import (
    MAX_SAMPLE_BYTES,
    MAX_SAMPLES,
    MAX_TRACKS,
    Mp4TextError,
    TextSample,
    TextTrack,
    cue_text,
    find_moov,
    text_tracks,
)
from sandbox.demo_media import ffmpeg_exe

# --- real files rendered by ffmpeg ------------------------------------------------------------

ENGLISH_SRT = """1
00:00:00,500 --> 00:00:01,750
<i>Hello</i> there

2
00:00:02,000 --> 00:00:03,250
<b>Bold</b> move
second line

3
00:00:03,500 --> 00:00:04,000
a < b & c

4
00:00:06,000 --> 00:00:07,500
The end --> really
"""

SPANISH_SRT = """1
00:00:01,000 --> 00:00:02,500
¿<i>Qué</i> tal, <b>señor</b>?

2
00:00:06,250 --> 00:00:07,125
Adiós
mañana
"""

ENGLISH_CUES = [
    (0.5, 1.75, "<i>Hello</i> there"),
    (2.0, 3.25, "<b>Bold</b> move\nsecond line"),
    (3.5, 4.0, "a &lt; b &amp; c"),
    (6.0, 7.5, "The end --&gt; really"),
]
SPANISH_CUES = [
    (1.0, 2.5, "¿<i>Qué</i> tal, <b>señor</b>?"),
    (6.25, 7.125, "Adiós\nmañana"),
]


@dataclass(frozen=True)
class Rendered:
    faststart: bytes
    tail_index: bytes
    video_only: bytes


def _ffmpeg(*args: object) -> None:
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    work = tmp_path_factory.mktemp("mp4_text")
    (work / "en.srt").write_text(ENGLISH_SRT, encoding="utf-8")
    (work / "es.srt").write_text(SPANISH_SRT, encoding="utf-8")
    video = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10:duration=8"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast"]
    subs = ["-i", work / "en.srt", "-i", work / "es.srt", "-map", "0:v", "-map", "1", "-map", "2"]
    text = ["-c:s", "mov_text", "-metadata:s:s:0", "language=eng", "-metadata:s:s:1",
            "language=spa"]  # fmt: skip
    _ffmpeg(*video, *subs, *x264, *text, "-movflags", "+faststart", work / "fast.mp4")
    _ffmpeg(*video, *subs, *x264, *text, work / "tail.mp4")
    _ffmpeg(*video, *x264, "-t", "1", work / "video.mp4")
    return Rendered(
        (work / "fast.mp4").read_bytes(),
        (work / "tail.mp4").read_bytes(),
        (work / "video.mp4").read_bytes(),
    )


def cues(data: bytes, track: TextTrack) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, cue_text(data[s.offset : s.offset + s.size])) for s in track.samples]


def moov_of(data: bytes) -> bytes:
    found = find_moov(data)
    assert found is not None
    return found


def test_a_faststart_file_lists_both_text_tracks_with_their_languages(rendered: Rendered) -> None:
    tracks = text_tracks(moov_of(rendered.faststart))
    assert [(t.track_id, t.language, t.name, t.codec) for t in tracks] == [
        (2, "eng", "SubtitleHandler", "tx3g"),
        (3, "spa", "SubtitleHandler", "tx3g"),
    ]


def test_real_cues_have_the_srt_times_and_styled_escaped_text(rendered: Rendered) -> None:
    data = rendered.faststart
    english, spanish = text_tracks(moov_of(data))
    assert cues(data, english) == ENGLISH_CUES
    assert cues(data, spanish) == SPANISH_CUES
    assert english.text_bytes == sum(s.size for s in english.samples)


def test_the_empty_gap_samples_ffmpeg_writes_between_cues_are_left_out(rendered: Rendered) -> None:
    moov = moov_of(rendered.faststart)
    stsz_counts = []
    at = moov.find(b"stsz")
    while at != -1:
        stsz_counts.append(struct.unpack_from(">I", moov, at + 12)[0])
        at = moov.find(b"stsz", at + 1)
    english, spanish = text_tracks(moov)
    assert stsz_counts[1] > len(english.samples) == len(ENGLISH_CUES)  # gaps were written
    assert stsz_counts[2] > len(spanish.samples) == len(SPANISH_CUES)
    assert all(s.size > 2 for s in english.samples + spanish.samples)


def test_the_moov_at_the_end_gives_the_same_cues_as_faststart(rendered: Rendered) -> None:
    fast, tail = rendered.faststart, rendered.tail_index
    assert tail.find(b"moov") > len(tail) // 2 and fast.find(b"moov") < 100
    fast_tracks, tail_tracks = text_tracks(moov_of(fast)), text_tracks(moov_of(tail))
    assert [(t.track_id, t.language) for t in tail_tracks] == [(2, "eng"), (3, "spa")]
    for at_front, at_end in zip(fast_tracks, tail_tracks, strict=True):
        assert cues(tail, at_end) == cues(fast, at_front)


def test_in_window_keeps_cues_starting_in_the_half_open_window(rendered: Rendered) -> None:
    english = text_tracks(moov_of(rendered.faststart))[0]

    def starts(start: float, end: float) -> list[float]:
        return [s.start for s in english.in_window(start, end)]

    assert starts(0.0, 100.0) == [0.5, 2.0, 3.5, 6.0]
    assert starts(0.5, 2.0) == [0.5]  # start included, end excluded
    assert starts(0.501, 2.001) == [2.0]
    assert starts(2.0, 6.0) == [2.0, 3.5]
    assert starts(4.0, 6.0) == []  # the gap
    assert starts(6.0, 6.001) == [6.0]
    assert starts(7.0, 7.4) == []  # inside the last cue, which starts before the window


def test_a_video_only_mp4_has_no_text_tracks(rendered: Rendered) -> None:
    assert text_tracks(moov_of(rendered.video_only)) == []


def test_find_moov_tolerates_a_truncated_media_box_after_the_index(rendered: Rendered) -> None:
    head = rendered.faststart[:4096]  # mdat claims far more than this prefix holds
    assert find_moov(head) == moov_of(rendered.faststart)


def test_find_moov_returns_none_without_a_moov_or_on_garbage(rendered: Rendered) -> None:
    assert find_moov(b"") is None
    assert find_moov(box(b"ftyp", b"isom") + box(b"free", bytes(8))) is None
    assert find_moov(struct.pack(">I4s", 4, b"moov") + bytes(8)) is None
    assert find_moov(rendered.tail_index[:-100]) is None  # moov cut short


# --- hand-built indexes ------------------------------------------------------------------------


def box(kind: bytes, payload: bytes = b"", *, large: bool = False) -> bytes:
    if large:
        return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, payload: bytes, version: int = 0) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def mvhd(scale: int = 1000) -> bytes:
    return full(b"mvhd", struct.pack(">IIII", 0, 0, scale, 0) + bytes(80))


def moov(*children: bytes, scale: int = 1000, large: bool = False) -> bytes:
    return box(b"moov", mvhd(scale) + b"".join(children), large=large)


def packed_language(code: str) -> int:
    return sum((ord(c) - 0x60) << shift for c, shift in zip(code, (10, 5, 0), strict=True))


def table(kind: bytes, fmt: str, rows: Sequence[tuple[int, ...]], version: int = 0) -> bytes:
    body = b"".join(struct.pack(fmt, *row) for row in rows)
    return full(kind, struct.pack(">I", len(rows)) + body, version)


def stsz(sizes: list[int], *, fixed: int = 0, count: int | None = None) -> bytes:
    body = b"".join(struct.pack(">I", s) for s in sizes)
    return full(b"stsz", struct.pack(">II", fixed, len(sizes) if count is None else count) + body)


def chunk_table(offsets: list[int], *, wide: bool = False) -> bytes:
    if wide:
        return table(b"co64", ">Q", [(o,) for o in offsets])
    return table(b"stco", ">I", [(o,) for o in offsets])


# One gap (0-1 s) and two cues (1-2.5 s, 2.5-3 s) at media timescale 1000, a chunk each.
SIZES = [2, 10, 12]
TIMES = [(1, 1000), (1, 1500), (1, 500)]
CHUNKS = [100, 200, 300]
CUES = (TextSample(1.0, 2.5, 200, 10), TextSample(2.5, 3.0, 300, 12))


def trak(
    *,
    track_id: int = 1,
    handler: bytes = b"text",
    codec: bytes = b"tx3g",
    language: str = "eng",
    scale: int = 1000,
    name: bytes = b"SubtitleHandler",
    edts: bytes = b"",
    tkhd: bytes | None = None,
    mdhd: bytes | None = None,
    stts: bytes | None = None,
    stsc: bytes | None = None,
    sizes: bytes | None = None,
    chunks: bytes | None = None,
    stbl_extra: bytes = b"",
) -> bytes:
    tkhd = full(b"tkhd", struct.pack(">III", 0, 0, track_id) + bytes(72)) if tkhd is None else tkhd
    lang = packed_language(language)
    mdhd = full(b"mdhd", struct.pack(">IIIIHH", 0, 0, scale, 0, lang, 0)) if mdhd is None else mdhd
    stbl = box(
        b"stbl",
        full(b"stsd", struct.pack(">I", 1) + box(codec, bytes(6) + struct.pack(">H", 1) + bytes(4)))
        + (table(b"stts", ">II", TIMES) if stts is None else stts)
        + (table(b"stsc", ">III", [(1, 1, 1)]) if stsc is None else stsc)
        + (stsz(SIZES) if sizes is None else sizes)
        + (chunk_table(CHUNKS) if chunks is None else chunks)
        + stbl_extra,
    )
    hdlr = full(b"hdlr", struct.pack(">I4s", 0, handler) + bytes(12) + name + b"\0")
    mdia = box(b"mdia", mdhd + hdlr + box(b"minf", stbl))
    return box(b"trak", tkhd + edts + mdia)


def elst(*edits: tuple[int, int], version: int = 0) -> bytes:
    fmt = ">QqHH" if version == 1 else ">IiHH"
    return box(b"edts", table(b"elst", fmt, [(d, t, 1, 0) for d, t in edits], version))


def test_a_minimal_hand_built_text_track_is_read() -> None:
    (track,) = text_tracks(moov(trak(track_id=7, language="fra")))
    assert track == TextTrack(7, "fra", "SubtitleHandler", "tx3g", CUES)


def test_version_1_headers_are_read_like_version_0() -> None:
    tkhd = full(b"tkhd", struct.pack(">QQI", 0, 0, 9) + bytes(80), version=1)
    lang = packed_language("deu")
    mdhd = full(b"mdhd", struct.pack(">QQIQHH", 0, 0, 2000, 0, lang, 0), version=1)
    mvhd_v1 = full(b"mvhd", struct.pack(">QQIQ", 0, 0, 1000, 0) + bytes(80), version=1)
    stts = table(b"stts", ">II", [(1, 2000), (1, 3000), (1, 1000)])
    (track,) = text_tracks(box(b"moov", mvhd_v1 + trak(tkhd=tkhd, mdhd=mdhd, stts=stts)))
    assert (track.track_id, track.language, track.samples) == (9, "deu", CUES)


def test_an_unset_language_is_und_and_an_empty_handler_name_is_empty() -> None:
    (track,) = text_tracks(moov(trak(language="```", name=b"")))
    assert (track.language, track.name) == ("und", "")


def test_apple_and_mpeg_subtitle_handlers_count_as_text() -> None:
    tracks = text_tracks(moov(trak(handler=b"sbtl", track_id=1), trak(handler=b"subt", track_id=2)))
    assert [t.track_id for t in tracks] == [1, 2]


def test_a_leading_empty_edit_delays_cues_by_its_movie_time() -> None:
    delayed = trak(edts=elst((1200, -1), (3000, 0)))  # 2 s at the movie's timescale 600
    (track,) = text_tracks(moov(delayed, scale=600))
    assert [(s.start, s.end) for s in track.samples] == [(3.0, 4.5), (4.5, 5.0)]


def test_a_64_bit_edit_list_with_a_media_time_starts_presentation_there() -> None:
    trimmed = trak(edts=elst((1000, -1), (5000, 1500), version=1))  # +1 s, then from 1.5 s
    (track,) = text_tracks(moov(trimmed))
    assert [(s.start, s.end) for s in track.samples] == [(0.5, 2.0), (2.0, 2.5)]


def test_a_co64_chunk_table_works_like_stco() -> None:
    far = [2**33 + o for o in CHUNKS]
    (narrow,) = text_tracks(moov(trak()))
    (wide,) = text_tracks(moov(trak(chunks=chunk_table(far, wide=True))))
    assert [s.offset for s in wide.samples] == [2**33 + s.offset for s in narrow.samples]
    assert [(s.start, s.end, s.size) for s in wide.samples] == [
        (s.start, s.end, s.size) for s in narrow.samples
    ]


def test_samples_sharing_a_chunk_follow_each_other_by_size() -> None:
    stsc = table(b"stsc", ">III", [(1, 2, 1), (2, 1, 1)])  # chunk 1: samples 0-1, chunk 2: 2
    (track,) = text_tracks(moov(trak(stsc=stsc, chunks=chunk_table([100, 500]))))
    assert [s.offset for s in track.samples] == [102, 500]  # after the 2-byte gap sample


def test_a_fixed_sample_size_applies_to_every_sample() -> None:
    (track,) = text_tracks(moov(trak(sizes=stsz([], fixed=40, count=3))))
    assert [(s.start, s.size) for s in track.samples] == [(0.0, 40), (1.0, 40), (2.5, 40)]


def test_a_video_track_and_a_webvtt_text_track_are_skipped_not_errors() -> None:
    tracks = text_tracks(
        moov(
            trak(track_id=1, handler=b"vide", codec=b"avc1"),
            trak(track_id=2, codec=b"wvtt"),
            trak(track_id=3),
            box(b"trak", box(b"tkhd", bytes(8))),  # no mdia at all
            box(b"udta", b"anything"),
        )
    )
    assert [t.track_id for t in tracks] == [3]


def test_at_most_max_tracks_text_tracks_are_read() -> None:
    tracks = text_tracks(moov(*(trak(track_id=i) for i in range(MAX_TRACKS + 5))))
    assert [t.track_id for t in tracks] == list(range(MAX_TRACKS))


def test_a_moov_with_a_64_bit_header_is_read() -> None:
    (track,) = text_tracks(moov(trak(), large=True))
    assert track.samples == CUES


# --- hostile and malformed indexes -------------------------------------------------------------

TOO_MANY = MAX_SAMPLES + 1

HOSTILE: dict[str, tuple[str, bytes]] = {  # case: (what the error names, index)
    "empty": ("not a moov", b""),
    "not_a_moov": ("not a moov", box(b"free", bytes(64))),
    "moov_then_another_box": ("not a moov", moov(trak()) + box(b"free")),
    "moov_claiming_more_than_the_bytes": ("claims", moov(trak())[:-1]),
    "child_claiming_more_than_its_parent": (
        "claims",
        moov(struct.pack(">I4s", 500, b"trak") + bytes(16)),
    ),
    "box_smaller_than_its_header": ("claims", moov(struct.pack(">I4s", 4, b"trak") + bytes(16))),
    "truncated_64_bit_size": ("64-bit", moov(struct.pack(">I4s", 1, b"trak") + b"\0\0\0")),
    "64_bit_size_below_its_header": (
        "claims",
        moov(struct.pack(">I4sQ", 1, b"trak", 8) + bytes(8)),
    ),
    "top_level_truncated_64_bit_size": ("64-bit", struct.pack(">I4s", 1, b"moov") + b"\0\0"),
    "no_mvhd": ("mvhd", box(b"moov", trak())),
    "short_mvhd": ("mvhd", box(b"moov", full(b"mvhd", bytes(8)) + trak())),
    "zero_mvhd_timescale": ("mvhd timescale", moov(trak(), scale=0)),
    "zero_mdhd_timescale": ("mdhd timescale", moov(trak(scale=0))),
    "short_mdhd": ("mdhd", moov(trak(mdhd=full(b"mdhd", bytes(16))))),
    "short_mdhd_v1": ("mdhd", moov(trak(mdhd=full(b"mdhd", bytes(29), version=1)))),
    "no_mdhd": ("mdhd", moov(trak(mdhd=box(b"free")))),
    "no_tkhd": ("tkhd", moov(trak(tkhd=box(b"free")))),
    "short_tkhd": ("tkhd", moov(trak(tkhd=full(b"tkhd", bytes(12))))),
    "short_hdlr": ("hdlr", moov(box(b"trak", box(b"mdia", full(b"hdlr", b"\0\0\0\0text"))))),
    "text_track_without_a_sample_table": (
        "sample table",
        moov(
            box(b"trak", box(b"mdia", full(b"hdlr", struct.pack(">I4s", 0, b"text") + bytes(13))))
        ),
    ),
    "no_chunk_table": ("stco", moov(trak(chunks=box(b"free")))),
    "stsz_of_a_billion_samples_in_20_bytes": ("stsz", moov(trak(sizes=stsz([0, 0], count=10**9)))),
    "stsz_over_max_samples_at_a_fixed_size": (
        "stsz",
        moov(trak(sizes=stsz([], fixed=3, count=TOO_MANY))),
    ),
    "stsz_counting_more_sizes_than_it_holds": (
        "stsz",
        moov(trak(sizes=stsz([2, 10, 12], count=4))),
    ),
    "short_stsz": ("stsz", moov(trak(sizes=full(b"stsz", bytes(4))))),
    "stts_timing_more_samples_than_stsz": (
        "stts",
        moov(trak(stts=table(b"stts", ">II", [(4, 1000)]))),
    ),
    "stts_timing_fewer_samples_than_stsz": (
        "stts",
        moov(trak(stts=table(b"stts", ">II", [(2, 1000)]))),
    ),
    "stts_with_a_4_billion_sample_run": (
        "stts",
        moov(trak(stts=table(b"stts", ">II", [(2**32 - 1, 1)]))),
    ),
    "stts_counting_more_rows_than_it_holds": (
        "stts",
        moov(trak(stts=full(b"stts", struct.pack(">III", 9, 3, 1000)))),
    ),
    "stts_over_max_rows": ("stts", moov(trak(stts=full(b"stts", struct.pack(">I", TOO_MANY))))),
    "stsc_naming_chunks_past_stco": (
        "stsc",
        moov(trak(stsc=table(b"stsc", ">III", [(1, 1, 1), (5, 1, 1)]))),
    ),
    "stsc_naming_chunk_zero": ("stsc", moov(trak(stsc=table(b"stsc", ">III", [(0, 1, 1)])))),
    "stsc_rows_out_of_order": (
        "stsc",
        moov(trak(stsc=table(b"stsc", ">III", [(1, 1, 1), (3, 1, 1), (2, 1, 1)]))),
    ),
    "stsc_placing_more_samples_than_stsz": (
        "stsc",
        moov(trak(stsc=table(b"stsc", ">III", [(1, 2**31, 1)]))),
    ),
    "stsc_placing_fewer_samples_than_stsz": (
        "stsc",
        moov(trak(stsc=table(b"stsc", ">III", [(1, 1, 1)]), chunks=chunk_table([100, 200]))),
    ),
    "stsc_counting_more_rows_than_it_holds": (
        "stsc",
        moov(trak(stsc=full(b"stsc", struct.pack(">IIII", 2, 1, 1, 1)))),
    ),
    "stco_counting_more_chunks_than_it_holds": (
        "stco",
        moov(trak(chunks=full(b"stco", struct.pack(">III", 5, 100, 200)))),
    ),
    "co64_counting_more_chunks_than_it_holds": (
        "stco",
        moov(trak(chunks=full(b"co64", struct.pack(">IQ", 3, 100)))),
    ),
    "over_large_sample": ("sample of", moov(trak(sizes=stsz([2, MAX_SAMPLE_BYTES + 1, 12])))),
    "elst_counting_more_edits_than_it_holds": (
        "elst",
        moov(trak(edts=box(b"edts", full(b"elst", struct.pack(">IIi", 2, 1000, -1))))),
    ),
    "elst_over_its_cap": (
        "elst",
        moov(trak(edts=box(b"edts", full(b"elst", struct.pack(">I", 2000))))),
    ),
    "short_elst": ("elst", moov(trak(edts=box(b"edts", full(b"elst", b""))))),
}


@pytest.mark.parametrize(("names", "index"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_malformed_or_lying_index_raises_mp4_text_error(names: str, index: bytes) -> None:
    with pytest.raises(Mp4TextError, match=names):
        text_tracks(index)


def test_an_index_over_max_index_bytes_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = moov(trak())
    monkeypatch.setattr(mp4_text, "MAX_INDEX_BYTES", len(index) - 1)
    with pytest.raises(Mp4TextError, match="over"):
        text_tracks(index)
    monkeypatch.setattr(mp4_text, "MAX_INDEX_BYTES", len(index))
    assert len(text_tracks(index)) == 1


def test_an_error_in_a_skipped_video_track_is_not_read() -> None:
    video = trak(track_id=1, handler=b"vide", sizes=stsz([0], count=10**9))
    assert [t.track_id for t in text_tracks(moov(video, trak(track_id=2)))] == [2]


# --- cue text ----------------------------------------------------------------------------------


def sample(text: bytes | str, *styles: tuple[int, int, int], length: int | None = None) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    out = struct.pack(">H", len(raw) if length is None else length) + raw
    if styles:
        runs = b"".join(struct.pack(">HHHBB4s", a, b, 1, f, 16, b"\xff" * 4) for a, b, f in styles)
        out += box(b"styl", struct.pack(">H", len(styles)) + runs)
    return out


BOLD, ITALIC, UNDERLINE = 1, 2, 4


@pytest.mark.parametrize("raw", [b"", b"\x00", b"\x00\x00", b"\x00\x00tail", b"\x00\x03\n\n\n"])
def test_an_empty_or_too_short_sample_has_no_text(raw: bytes) -> None:
    assert cue_text(raw) == ""


def test_a_length_prefix_past_the_bytes_is_truncated_to_what_is_there() -> None:
    assert cue_text(sample("Hello", length=0xFFFF)) == "Hello"
    assert cue_text(sample("Hello world", length=5)) == "Hello"


def test_utf16_text_after_a_bom_is_decoded() -> None:
    assert cue_text(sample(b"\xfe\xff" + "¿Sí? ñ".encode("utf-16-be"))) == "¿Sí? ñ"
    assert cue_text(sample(b"\xfe\xff" + "odd".encode("utf-16-be")[:-1])) == "od\ufffd"


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert cue_text(sample(b"caf\xc3")) == "caf\ufffd"


def test_crlf_and_cr_become_newlines_and_blank_lines_are_dropped() -> None:
    assert cue_text(sample("one\r\ntwo\rthree\n\n  \nfour\n")) == "one\ntwo\nthree\nfour"


def test_style_runs_become_bold_italic_underline_tags() -> None:
    styled = sample("bold it under all", (0, 4, BOLD), (5, 7, ITALIC), (8, 13, UNDERLINE),
                    (14, 17, BOLD | ITALIC | UNDERLINE))  # fmt: skip
    assert cue_text(styled) == "<b>bold</b> <i>it</i> <u>under</u> <u><i><b>all</b></i></u>"


def test_style_offsets_count_characters_not_bytes() -> None:
    assert cue_text(sample("¿Qué?", (1, 4, ITALIC))) == "¿<i>Qué</i>?"


def test_out_of_range_empty_unstyled_and_overlapping_runs_are_ignored() -> None:
    text = "abcdef"
    assert cue_text(sample(text, (2, 99, BOLD))) == text  # past the text
    assert cue_text(sample(text, (3, 3, BOLD), (4, 2, BOLD))) == text  # empty, backwards
    assert cue_text(sample(text, (0, 3, 0x10))) == text  # no face bit we render
    overlapping = sample(text, (0, 4, BOLD), (2, 6, ITALIC), (4, 6, UNDERLINE))
    assert cue_text(overlapping) == "<b>abcd</b><u>ef</u>"


def test_a_styl_box_counting_more_runs_than_it_holds_uses_the_ones_there() -> None:
    raw = sample("abcdef", (0, 2, BOLD))
    lying = raw[:16] + struct.pack(">H", 500) + raw[18:]  # the styl box's run count
    assert cue_text(lying) == "<b>ab</b>cdef"


def test_a_broken_box_after_the_text_leaves_the_text_plain() -> None:
    assert cue_text(sample("abc") + struct.pack(">I4s", 999, b"styl") + b"\0\1") == "abc"
    assert cue_text(sample("abc") + box(b"styl", b"\0")) == "abc"  # too short for a count
    assert cue_text(sample("abc") + b"\0\0\0") == "abc"  # trailing bytes, no box


def test_an_arrow_in_the_text_never_survives_unescaped() -> None:
    assert cue_text(sample("a --> b")) == "a --&gt; b"
    assert cue_text(sample("a --> b", (2, 4, BOLD))) == "a <b>--</b>&gt; b"
    assert cue_text(sample("<c>&amp;</c>")) == "&lt;c&gt;&amp;amp;&lt;/c&gt;"


def test_random_samples_give_text_without_an_arrow_and_never_raise() -> None:
    rng = random.Random(20240611)
    alphabet = b"-->\r\n <&ab\xc3\xb1\xfe\xff\0"
    for _ in range(500):
        text = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        runs = [(rng.randrange(0, 30), rng.randrange(0, 30), rng.randrange(0, 8)) for _ in "ab"]
        raw = sample(text, *runs, length=rng.choice([None, rng.randrange(0, 40)]))
        raw = raw[: rng.randrange(0, len(raw) + 1)] if rng.random() < 0.3 else raw
        out = cue_text(raw)
        assert "-->" not in out
        assert "\n\n" not in out and "\r" not in out


# --- fuzz over a real index --------------------------------------------------------------------


def _survives(index: bytes) -> bool:
    """Whether ``index`` parsed; anything but a list of tracks or Mp4TextError fails."""
    try:
        tracks = text_tracks(index)
    except Mp4TextError:
        return False
    assert isinstance(tracks, list)
    assert all(isinstance(t, TextTrack) for t in tracks)
    return True


def test_a_real_index_with_random_damage_parses_or_raises_mp4_text_error(
    rendered: Rendered,
) -> None:
    real = moov_of(rendered.faststart)
    rng = random.Random(1729)
    outcomes = set()
    for _ in range(300):
        damaged = bytearray(real)
        how = rng.randrange(3)
        if how == 0:  # flip bits
            for _ in range(rng.randrange(1, 9)):
                damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        elif how == 1:  # overwrite a 32-bit field with an edge value
            at = rng.randrange(len(damaged) - 4)
            value = rng.choice([0, 1, 2, 7, 8, 16, 0x7FFFFFFF, 0xFFFFFFFF, rng.getrandbits(32)])
            damaged[at : at + 4] = value.to_bytes(4, "big")
        else:  # truncate
            del damaged[rng.randrange(len(damaged)) :]
        outcomes.add(_survives(bytes(damaged)))
    assert outcomes == {True, False}  # the damage both slipped through and was caught


def test_every_size_and_count_field_of_a_real_index_set_to_edge_values_is_survived(
    rendered: Rendered,
) -> None:
    real = moov_of(rendered.faststart)
    for at in range(0, len(real) - 4, 4):
        for value in (0, 1, 0xFFFFFFFF):
            _survives(real[:at] + value.to_bytes(4, "big") + real[at + 4 :])


# --- bugs found and fixed: a 64-bit moov header, a sample budget over all tracks, CRLF styles -


def test_find_moov_returns_a_moov_with_a_64_bit_header_whole() -> None:
    index = moov(trak(), large=True)
    assert find_moov(box(b"ftyp", b"isom") + index + box(b"mdat", bytes(8))) == index


def test_the_sample_budget_is_shared_by_all_text_tracks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mp4_text, "MAX_SAMPLES", 100)
    stts = table(b"stts", ">II", [(100, 1000)])
    stsc = table(b"stsc", ">III", [(1, 100, 1)])
    sizes = stsz([], fixed=3, count=100)
    tracks_of_100 = (
        trak(track_id=i, stts=stts, stsc=stsc, sizes=sizes, chunks=chunk_table([0]))
        for i in range(3)
    )
    index = moov(*tracks_of_100)  # 300 samples in ~1 KB
    try:
        tracks = text_tracks(index)
    except Mp4TextError:
        return
    assert sum(len(t.samples) for t in tracks) <= 100


def test_style_runs_after_a_crlf_keep_their_characters() -> None:
    assert cue_text(sample("a\r\nbold move", (3, 7, BOLD))) == "a\n<b>bold</b> move"
