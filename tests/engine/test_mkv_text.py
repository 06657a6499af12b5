"""Matroska text tracks read by time window (engine.mkv_text): real MKV/WebM files written
by ffmpeg (SRT, ASS and WebVTT tracks; the layout, the Cues index, the byte span of a
window and its cues), hand-built elements for what ffmpeg does not write (unknown sizes,
lacing, compression, SSA), and hostile bytes: only MkvTextError or a result, never a crash."""

from __future__ import annotations

import random
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import mkv_text
from engine.errors import EngineError
from engine.mkv_text import (
    MkvLayout,
    MkvTextError,
    MkvTextTrack,
    cluster_index,
    cue_text,
    cues_in,
    element_size,
    read_layout,
    window_span,
)
from sandbox.demo_media import ffmpeg_exe

ENGLISH_SRT = """1
00:00:00,500 --> 00:00:02,500
<i>Miau</i> flix,
second line

2
00:00:03,500 --> 00:00:05,000
a < b & c

3
00:00:06,500 --> 00:00:08,000
<font color="red">Año</font> ¿qué? ñ

4
00:00:09,500 --> 00:00:11,000
<b>The end</b>
"""

SPANISH_ASS = r"""[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:02.50,Default,,0,0,0,,{\i1}Hola{\i0}, uno
Dialogue: 0,0:00:03.50,0:00:05.00,Default,,0,0,0,,Dos\Nlíneas, sí
Dialogue: 0,0:00:06.50,0:00:08.00,Default,,0,0,0,,{\an8}Tres {\b1}fuerte{\b0}
Dialogue: 0,0:00:09.50,0:00:11.00,Default,,0,0,0,,Cuatro,{\pos(10,10)} fin
"""  # noqa: E501

WEBVTT = "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n<i>Hi</i> &amp; <c.red>bye</c> &lt;3\n"

ENGLISH = [
    (0.5, 2.5, "<i>Miau</i> flix,\nsecond line"),
    (3.5, 5.0, "a &lt; b &amp; c"),
    (6.5, 8.0, "Año ¿qué? ñ"),
    (9.5, 11.0, "<b>The end</b>"),
]
SPANISH = [
    (0.5, 2.5, "<i>Hola</i>, uno"),
    (3.5, 5.0, "Dos\nlíneas, sí"),
    (6.5, 8.0, "Tres <b>fuerte</b>"),
    (9.5, 11.0, "Cuatro, fin"),
]


@dataclass(frozen=True)
class Films:
    mkv: bytes  # video + English SRT (track 2) + Spanish ASS (track 3)
    plain_mkv: bytes  # the same video alone
    webm: bytes  # VP8 + a WebVTT track
    plain_webm: bytes


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, capture_output=True, timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> Films:
    tmp = tmp_path_factory.mktemp("mkv")
    (tmp / "en.srt").write_text(ENGLISH_SRT, encoding="utf-8")
    (tmp / "es.ass").write_text(SPANISH_ASS, encoding="utf-8")
    (tmp / "s.vtt").write_text(WEBVTT, encoding="utf-8")
    mkv, webm = tmp / "film.mkv", tmp / "film.webm"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=12",
            "-i", str(tmp / "en.srt"), "-i", str(tmp / "es.ass"),
            "-map", "0:v", "-map", "1", "-map", "2",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-b:v", "150k",
            "-c:s:0", "srt", "-c:s:1", "ass",
            "-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=English SDH",
            "-metadata:s:s:1", "language=spa", "-disposition:s:0", "hearing_impaired",
            "-disposition:s:1", "forced", "-metadata", "title=Film", str(mkv))  # fmt: skip
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10:duration=2",
            "-i", str(tmp / "s.vtt"), "-map", "0", "-map", "1",
            "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "100k",
            "-c:s", "webvtt", str(webm))  # fmt: skip
    _ffmpeg("-i", str(mkv), "-map", "0:v", "-c", "copy", str(tmp / "plain.mkv"))
    _ffmpeg("-i", str(webm), "-map", "0:v", "-c", "copy", str(tmp / "plain.webm"))
    read = Path.read_bytes
    return Films(read(mkv), read(tmp / "plain.mkv"), read(webm), read(tmp / "plain.webm"))


def _index(data: bytes, layout: MkvLayout) -> list[tuple[float, int]]:
    assert layout.cues_position is not None
    cues = data[layout.cues_position :]
    return cluster_index(cues[: element_size(cues[:12])], layout)


def _window(data: bytes, start: float, end: float) -> list[tuple[int, float, float, str]]:
    layout = read_layout(data[: 1 << 20], len(data))
    offset, length = window_span(_index(data, layout), start, end, len(data))
    numbers = {t.number for t in layout.text_tracks}
    return cues_in(data[offset : offset + length], offset, layout, numbers, start, end)


def _expected(start: float, end: float) -> list[tuple[int, float, float, str]]:
    both = [(2, *cue) for cue in ENGLISH] + [(3, *cue) for cue in SPANISH]
    return sorted((c for c in both if start <= c[1] < end), key=lambda c: c[1])


# --- real files ----------------------------------------------------------------------------


def test_the_layout_lists_the_text_tracks_from_the_head(films: Films) -> None:
    data = films.mkv
    layout = read_layout(data[:65536], len(data))
    assert layout.timestamp_scale == 1_000_000
    assert [(t.number, t.language, t.name, t.codec, t.forced, t.sdh)
            for t in layout.text_tracks] == [
        (2, "eng", "English SDH", "S_TEXT/UTF8", False, True),
        (3, "spa", "", "S_TEXT/ASS", True, False),
    ]  # fmt: skip
    assert layout.text_tracks[0].private == b""
    assert layout.text_tracks[1].private.startswith(b"[Script Info]")
    assert b"[Events]" in layout.text_tracks[1].private
    assert layout.cues_position is not None  # ffmpeg writes the Cues at the end
    assert data[layout.cues_position : layout.cues_position + 4] == b"\x1c\x53\xbb\x6b"
    assert read_layout(data, len(data)) == layout


def test_the_cues_index_locates_clusters_by_time(films: Films) -> None:
    data = films.mkv
    layout = read_layout(data[: 1 << 20], len(data))
    index = _index(data, layout)
    assert index == sorted(set(index))
    times = [time for time, _ in index]
    assert {0.0, 3.0, 3.5, 6.0, 6.5, 11.0} <= set(times)  # keyframes each second, cues
    for _, offset in index:
        assert data[offset : offset + 4] == b"\x1f\x43\xb6\x75"  # a Cluster starts there
    assert len({offset for _, offset in index}) >= 10


def test_a_window_reads_only_its_clusters_and_gives_its_cues_to_the_ms(films: Films) -> None:
    data = films.mkv
    layout = read_layout(data[: 1 << 20], len(data))
    index = _index(data, layout)
    offset, length = window_span(index, 3.0, 7.0, len(data))
    assert offset == dict(index)[3.0] > index[0][1]  # the clusters from 3 s...
    assert offset + length == dict(index)[8.0]  # ...to the first at 7 s + END_SLACK
    cues = cues_in(data[offset : offset + length], offset, layout, {2, 3}, 3.0, 7.0)
    assert cues == _expected(3.0, 7.0)
    assert [c[1:3] for c in cues] == [(3.5, 5.0), (3.5, 5.0), (6.5, 8.0), (6.5, 8.0)]
    spanish = cues_in(data[offset : offset + length], offset, layout, {3}, 3.0, 7.0)
    assert spanish == [(3, *SPANISH[1]), (3, *SPANISH[2])]
    # the window's edges: a cue starting at `start` is in, one starting at `end` is out
    assert _window(data, 3.5, 6.5) == _expected(3.5, 5.0)
    assert _window(data, 9.5, 9.6) == _expected(9.5, 10.0)
    assert _window(data, 11.5, 60.0) == []


def test_the_whole_clusters_region_gives_every_cue(films: Films) -> None:
    assert _window(films.mkv, 0.0, 1e6) == _expected(0.0, 1e6)
    data = films.mkv
    layout = read_layout(data[: 1 << 20], len(data))
    offset, length = window_span(_index(data, layout), 0.0, 1e6, len(data))
    assert offset + length == len(data)  # up to the end: the Cues in it are skipped


def test_webm_webvtt_and_files_without_subtitles(films: Films) -> None:
    webm = read_layout(films.webm, len(films.webm))
    assert [(t.number, t.codec, t.language) for t in webm.text_tracks] == [
        (2, "S_TEXT/WEBVTT", "und")  # written as D_WEBVTT/SUBTITLES
    ]
    assert _window(films.webm, 0.0, 60.0) == [(2, 0.5, 1.5, "<i>Hi</i> &amp; bye &lt;3")]
    for plain in (films.plain_mkv, films.plain_webm):
        layout = read_layout(plain[: 1 << 20], len(plain))
        assert layout.text_tracks == ()
        assert _index(plain, layout)  # the video's Cues are still there


def test_a_window_cut_short_keeps_the_complete_cues(films: Films) -> None:
    data = films.mkv
    layout = read_layout(data, len(data))
    offset, length = window_span(_index(data, layout), 0.0, 1e6, len(data))
    region = data[offset : offset + length]
    everything = cues_in(region, offset, layout, {2, 3}, 0.0, 1e6)
    rng = random.Random(7)
    for cut in [0, 1, 5, 100, *(rng.randrange(len(region)) for _ in range(30))]:
        found = cues_in(region[:cut], offset, layout, {2, 3}, 0.0, 1e6)
        assert all(cue in everything for cue in found)
        assert found == sorted(found, key=lambda c: c[1])
    # the cut inside the 6.5 s cue's block: the clusters before it are all kept
    block = region.index(b"Tres")
    found = cues_in(region[:block], offset, layout, {2, 3}, 0.0, 1e6)
    assert [c for c in found if c[0] == 3] == [(3, *SPANISH[0]), (3, *SPANISH[1])]


# --- hand-built elements -------------------------------------------------------------------

UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def vsize(n: int) -> bytes:
    length = next(k for k in range(1, 9) if n < (1 << (7 * k)) - 1)
    return ((1 << (7 * length)) | n).to_bytes(length, "big")


def el(ident: int, *parts: bytes, size: bytes | None = None) -> bytes:
    payload = b"".join(parts)
    head = ident.to_bytes((ident.bit_length() + 7) // 8, "big")
    return head + (vsize(len(payload)) if size is None else size) + payload


def uint(ident: int, value: int) -> bytes:
    return el(ident, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def entry(number: int, codec: bytes, *extra: bytes, kind: int = 17) -> bytes:
    return el(0xAE, uint(0xD7, number), uint(0x83, kind), el(0x86, codec), *extra)


def header(doc_type: bytes = b"matroska") -> bytes:
    return el(0x1A45DFA3, uint(0x4286, 1), el(0x4282, doc_type))


def segment(*children: bytes, size: bytes | None = None) -> bytes:
    return header() + el(0x18538067, *children, size=size)


def tracks(*entries: bytes) -> bytes:
    return el(0x1654AE6B, *entries)


def block(number: int, relative: int, payload: bytes, flags: int = 0x80) -> bytes:
    return vsize(number) + relative.to_bytes(2, "big", signed=True) + bytes([flags]) + payload


def simple(number: int, relative: int, payload: bytes, flags: int = 0x80) -> bytes:
    return el(0xA3, block(number, relative, payload, flags))


def group(number: int, relative: int, payload: bytes, duration: int | None = None) -> bytes:
    extra = [] if duration is None else [uint(0x9B, duration)]
    return el(0xA0, el(0xA1, block(number, relative, payload, 0)), *extra)


def cluster(timestamp: int, *children: bytes, size: bytes | None = None) -> bytes:
    return el(0x1F43B675, uint(0xE7, timestamp), *children, size=size)


def text_track(number: int = 5, codec: str = "S_TEXT/UTF8", **kw: object) -> MkvTextTrack:
    return MkvTextTrack(number, "eng", "", codec, False, False, b"", **kw)  # type: ignore[arg-type]


def layout_of(*text: MkvTextTrack, scale: int = 1_000_000) -> MkvLayout:
    return MkvLayout(0, scale, text or (text_track(),), None)


def test_track_entries_languages_and_codecs() -> None:
    head = segment(
        el(0x1549A966, uint(0x2AD7B1, 100_000)),
        el(0x114D9B74, el(0x4DBB, el(0x53AB, b"\x1c\x53\xbb\x6b"), uint(0x53AC, 10))),
        tracks(
            entry(1, b"V_MPEG4/ISO/AVC", kind=1),
            entry(2, b"S_TEXT/UTF8", el(0x22B59C, b"fre"), el(0x22B59D, b"fr-CA"),
                  el(0x536E, "Français".encode()), uint(0x55AA, 1)),
            entry(3, b"S_SSA", el(0x22B59C, b"ger\0")),
            entry(4, b"S_HDMV/PGS", el(0x22B59C, b"eng")),  # a picture codec: not text
            entry(6, b"S_TEXT/UTF8", el(0x22B59C, b"<script>")),
            entry(7, b"S_TEXT/UTF8",  # encrypted: cannot be read
                  el(0x6D80, el(0x6240, uint(0x5033, 1)))),
            entry(8, b"S_TEXT/ASS", el(0x6D80, el(0x6240, el(0x5034, uint(0x4254, 0))))),
            entry(9, b"S_TEXT/UTF8",
                  el(0x6D80, el(0x6240, el(0x5034, uint(0x4254, 3), el(0x4255, b"<i>"))))),
            entry(10, b"S_TEXT/UTF8", el(0x6D80, el(0x6240, el(0x5034, uint(0x4254, 2))))),
        ),
    )  # fmt: skip
    layout = read_layout(head, len(head) + 1000)
    assert layout.timestamp_scale == 100_000
    assert layout.cues_position == layout.segment_data_start + 10
    assert [(t.number, t.language, t.name, t.codec, t.forced, t.compressed, t.prefix)
            for t in layout.text_tracks] == [
        (2, "fr-CA", "Français", "S_TEXT/UTF8", True, False, b""),
        (3, "ger", "", "S_TEXT/SSA", False, False, b""),
        (6, "und", "", "S_TEXT/UTF8", False, False, b""),
        (8, "und", "", "S_TEXT/ASS", False, True, b""),
        (9, "und", "", "S_TEXT/UTF8", False, False, b"<i>"),
    ]  # fmt: skip


def test_layout_odds_and_ends() -> None:
    many = segment(tracks(*(entry(n, b"S_TEXT/UTF8") for n in range(1, 80))), size=UNKNOWN)
    assert len(read_layout(many, len(many)).text_tracks) == 64  # an unknown-size Segment
    beyond = segment(el(0x114D9B74, el(0x4DBB, el(0x53AB, b"\x1c\x53\xbb\x6b"),
                                       uint(0x53AC, 10**9))), tracks())  # fmt: skip
    assert read_layout(beyond, len(beyond)).cues_position is None
    assert read_layout(segment(tracks()), 100).timestamp_scale == 1_000_000
    late = segment(tracks(entry(3, b"S_TEXT/UTF8")), el(0x1549A966, uint(0x2AD7B1, 10**7)),
                   el(0x1C53BB6B), b"\x00garbage", cluster(0))  # fmt: skip
    layout = read_layout(late, len(late))  # Info and Cues after Tracks; damage after that
    assert (layout.timestamp_scale, len(layout.text_tracks)) == (10**7, 1)
    assert layout.cues_position == late.index(b"\x1c\x53\xbb\x6b")
    cut = segment(tracks(entry(3, b"S_TEXT/UTF8")), el(0x1254C367, b"t" * 50))[:-10]
    assert read_layout(cut, 10**6).text_tracks == layout.text_tracks  # Tags past the head
    assert element_size(cluster(0) + b"rest") == len(cluster(0))
    with pytest.raises(MkvTextError, match="unknown size"):
        element_size(cluster(0, size=UNKNOWN))


def test_hostile_heads_raise_mkv_text_errors(films: Films) -> None:
    entry_ok = entry(2, b"S_TEXT/UTF8")
    hostile = {
        "not an EBML file": b"RIFF\x00\x00\x00\x00AVI LIST" * 4,
        "neither matroska nor webm": header(b"foo") + el(0x18538067, tracks(entry_ok)),
        "9-byte vint": segment(el(0x1654AE6B, size=b"\x00\x80" + b"\x00" * 7)),
        "5-byte vint": segment(b"\x08\x00\x00\x00\x01\x80"),  # a 5-byte ID
        "past its parent": segment(tracks(el(0xAE, size=vsize(50)) + entry_ok)),
        "without Tracks": segment(el(0x1549A966, uint(0x2AD7B1, 1_000_000))),
        "before the Tracks": segment(cluster(0), tracks(entry_ok)),
        "TimestampScale 0": segment(el(0x1549A966, uint(0x2AD7B1, 0)), tracks()),
        "where the Segment should start": header() + tracks(entry_ok),
        "EBML header": b"\x1a\x45\xdf\xa3\x88",
    }
    for message, head in hostile.items():
        with pytest.raises(MkvTextError, match=message):
            read_layout(head, len(head))
    data = films.mkv
    with pytest.raises(MkvTextError, match="Tracks is not within the first 200 bytes"):
        read_layout(data[:200], len(data))
    with pytest.raises(MkvTextError, match="not within head"):
        read_layout(data[:30], len(data))


def test_hostile_cues_raise_mkv_text_errors() -> None:
    layout = layout_of()
    point = el(0xBB, uint(0xB3, 3000), el(0xB7, uint(0xF7, 1), uint(0xF1, 500)))
    assert cluster_index(el(0x1C53BB6B, point, point), layout) == [(3.0, 500)]
    huge = b"\x1c\x53\xbb\x6b" + b"\x08" + (10**9).to_bytes(4, "big") + point
    for cues, message in [
        (huge[:9] + point, "claim"),
        (b"\x1c\x53\xbb\x6b" + UNKNOWN + point, "claim None"),
        (el(0x1F43B675, point), "where the Cues should be"),
        (el(0x1C53BB6B, el(0xBB, uint(0xB3, 1), size=vsize(40))), "past its parent"),
        (el(0x1C53BB6B, el(0xBB, el(0xB3, b"\x01" * 9))), "9 bytes"),
        (b"", "end of the data"),
    ]:
        with pytest.raises(MkvTextError, match=message):
            cluster_index(cues, layout)
    huge_ok = b"\x1c\x53\xbb\x6b\x08" + (2 * len(point)).to_bytes(4, "big") + point * 2
    assert cluster_index(huge_ok, layout) == [(3.0, 500)]


def test_cue_points_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mkv_text, "MAX_CUE_POINTS", 10)
    point = el(0xBB, uint(0xB3, 1), el(0xB7, uint(0xF1, 5)))
    assert len(cluster_index(el(0x1C53BB6B, *[point] * 10), layout_of())) == 1
    with pytest.raises(MkvTextError, match="more than 10"):
        cluster_index(el(0x1C53BB6B, *[point] * 11), layout_of())


def test_window_span_picks_the_clusters_around_the_window() -> None:
    index = [(0.0, 100), (2.0, 200), (4.0, 300), (6.0, 400), (6.0, 410), (8.0, 5000)]
    size = 1000
    assert window_span(index, 2.5, 4.0, size) == (200, 200)  # to the first at 4.5+: 6.0
    assert window_span(index, 4.0, 5.0, size) == (300, 100)
    assert window_span(index, 0.0, 1.0, size) == (100, 100)
    assert window_span(index, 6.5, 7.0, size) == (400, 600)  # 8.0 lies beyond the file
    assert window_span(index[1:], 0.0, 1.0, size) == (200, 100)  # before the first: it
    with pytest.raises(MkvTextError, match="no cluster"):
        window_span([], 0.0, 1.0, size)


def test_clusters_blocks_and_times() -> None:
    numbers = {5}
    data = (
        el(0xEC, b"\0" * 3)  # a Void between clusters
        + cluster(1000, simple(1, 0, b"video" * 10), group(5, 500, b"one", 1500),
                  simple(5, 700, b"two"), simple(5, 900, b"laced", 0x82),
                  group(5, -200, b"before"), group(7, 0, b"other track", 10))
        + el(0x1254C367, b"tags")
        + cluster(5000, group(5, 0, b""), group(5, 10, b"<font>   </font>"),
                  group(5, 20, b"{\\an8}Top <u>u</u>"), el(0xA0, uint(0x9B, 1)))
    )  # fmt: skip
    found = cues_in(data, 4096, layout_of(), numbers, 0.0, 100.0)
    assert found == [
        (5, 0.8, 2.8, "before"),  # no BlockDuration: 2 s
        (5, 1.5, 3.0, "one"),
        (5, 1.7, 3.7, "two"),  # the laced block is skipped
        (5, 5.02, 7.02, "Top <u>u</u>"),  # empty texts skipped
    ]
    assert cues_in(data, 0, layout_of(), numbers, 1.5, 5.02) == found[1:3]
    assert cues_in(data, 0, layout_of(), {7}, 0.0, 100.0) == []  # not a text track
    ticks = layout_of(scale=100_000)  # 0.1 ms per tick
    assert [c[1:3] for c in cues_in(data, 0, ticks, numbers, 0.0, 1.0)][:2] == [
        (0.08, 2.08),
        (0.15, 0.3),
    ]


def test_unknown_size_clusters_end_at_the_next_top_level_element() -> None:
    data = (
        cluster(1000, group(5, 500, b"one", 1000), size=UNKNOWN)
        + cluster(5000, group(5, 0, b"two", 1000), size=UNKNOWN)
        + el(0x1C53BB6B, b"cues")
        + cluster(9000, el(0xEC, b""), group(5, 0, b"three", 1000), size=UNKNOWN)
    )
    cues = cues_in(data, 0, layout_of(), {5}, 0.0, 60.0)
    assert [(c[1], c[3]) for c in cues] == [(1.5, "one"), (5.0, "two"), (9.0, "three")]
    cut = data[: data.index(b"three") + 2]
    assert [c[3] for c in cues_in(cut, 0, layout_of(), {5}, 0.0, 60.0)] == ["one", "two"]


def test_truncated_data_keeps_what_was_complete() -> None:
    first = group(5, 100, b"first", 100)
    data = cluster(0, first, group(5, 200, b"second", 100))
    first_end = data.index(first) + len(first)
    for cut in range(len(data)):
        found = cues_in(data[:cut], 0, layout_of(), {5}, 0.0, 60.0)
        assert [c[3] for c in found] == (["first"] if cut >= first_end else [])
    assert len(cues_in(data, 0, layout_of(), {5}, 0.0, 60.0)) == 2


def test_malformed_clusters_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    layout = layout_of()
    bad = {
        "before the cluster's Timestamp": el(0x1F43B675, simple(5, 0, b"x")),
        "runs past its parent": el(0x1F43B675, uint(0xE7, 0), el(0xA3, b"x" * 9)[:2]) + b"y" * 40,
        "unknown size": el(0x1254C367, size=UNKNOWN) + b"x",
        "in a cluster has an unknown size": cluster(0, el(0xA0, size=UNKNOWN)),
        "9-byte vint": cluster(0) + b"\x00\x81",
        "holds more than": cluster(0, el(0xA0, *[el(0xEC)] * 5000)),
    }
    for message, data in bad.items():
        with pytest.raises(MkvTextError, match=message):
            cues_in(data, 0, layout, {5}, 0.0, 60.0)
    monkeypatch.setattr(mkv_text, "MAX_BLOCKS", 10)
    assert len(cues_in(cluster(0, *[simple(5, 0, b"x")] * 10), 0, layout, {5}, 0, 9)) == 10
    with pytest.raises(MkvTextError, match="more than 10 blocks"):
        cues_in(cluster(0, *[simple(1, 0, b"x")] * 11), 0, layout, {5}, 0.0, 60.0)


def test_every_call_reads_a_bounded_number_of_elements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mkv_text, "MAX_ELEMENTS", 1000)
    voids = [el(0xEC)] * 600
    assert cues_in(cluster(0, *voids), 0, layout_of(), {5}, 0.0, 1.0) == []
    for call in (
        lambda: cues_in(cluster(0, *voids) * 2, 0, layout_of(), {5}, 0.0, 1.0),
        lambda: cues_in(cluster(0, el(0xA0, *voids), el(0xA0, *voids)), 0, layout_of(), {5}, 0, 1),
        lambda: cluster_index(el(0x1C53BB6B, *[el(0xBB, el(0xEC))] * 600), layout_of()),
        lambda: read_layout(segment(el(0xEC), *voids * 2, tracks()), 10**6),
    ):
        with pytest.raises(MkvTextError, match="more than 1000 elements"):
            call()
    monkeypatch.setattr(mkv_text, "MAX_WINDOW_TEXT_BYTES", 130)
    texts = cluster(0, *[simple(5, 0, b"x" * 30)] * 4)
    assert len(cues_in(texts, 0, layout_of(), {5}, 0.0, 1.0)) == 4
    with pytest.raises(MkvTextError, match="bytes of text"):
        cues_in(texts + cluster(0, simple(5, 0, b"y" * 30)), 0, layout_of(), {5}, 0.0, 1.0)
    assert len(cues_in(texts * 9, 0, layout_of(), {5}, 5.0, 9.0)) == 0  # outside: not read


def test_cue_text_per_codec() -> None:
    utf8, ass, ssa = text_track(), text_track(codec="S_TEXT/ASS"), text_track(codec="S_TEXT/SSA")
    vtt = text_track(codec="S_TEXT/WEBVTT")
    assert cue_text(utf8, b"<i>It's</i>\r\n<font color='x'>a < b</font> & c") == (
        "<i>It's</i>\na &lt; b &amp; c"
    )
    assert cue_text(ass, rb"7,0,Default,,0,0,0,,{\i1}Yes, {\b1}no{\b0}{\i0}\Nnext\hline") == (
        "<i>Yes, <b>no</b></i>\nnext\u00a0line"
    )
    assert cue_text(ssa, rb"1,Marked=0,Default,Bob,0,0,0,,Hi, there") == "Hi, there"
    assert cue_text(ass, rb"{\i1}odd{\i0}") == "<i>odd</i>"  # fewer fields: the last one
    assert cue_text(ass, rb"3,0,Default,,0,0,0,,{\p1}m 0 0 l 1 1{\p0}") == ""
    assert cue_text(vtt, b"<v Bob>&lt;b&gt; &amp;amp; <b>x</b>") == "&lt;b&gt; &amp;amp; <b>x</b>"
    assert cue_text(utf8, "\ufffd".encode() * 30_000) == ""  # over 64 KiB
    packed = text_track(compressed=True)
    assert cue_text(packed, zlib.compress("¿Sí?".encode())) == "¿Sí?"
    assert cue_text(packed, b"not zlib") == ""
    assert cue_text(packed, zlib.compress(b"a" * 200_000)) == ""  # a zip bomb stays small
    assert cue_text(text_track(prefix=b"<i>"), b"tilted</i>") == "<i>tilted</i>"


# --- seeded fuzzing ------------------------------------------------------------------------


def _mutate(rng: random.Random, data: bytes, hot: list[int]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.choice(hot) + rng.randrange(8) if hot and rng.random() < 0.7 else -1
        at = at if 0 <= at < len(out) else rng.randrange(len(out))
        out[at] = rng.choice([0x00, 0x01, 0x08, 0x40, 0x7F, 0x80, 0xFF, rng.randrange(256)])
    if rng.random() < 0.3:
        del out[rng.randrange(len(out) + 1) :]
    return bytes(out)


def _headers(data: bytes, start: int, end: int, depth: int = 0) -> list[int]:
    """Offsets of the element headers in data[start:end] (masters opened 3 deep)."""
    found: list[int] = []
    try:
        for _, pos, body, stop in mkv_text._elements(
            data, start, end, "fuzz", 1 << 20, mkv_text._Budget()
        ):
            found.append(pos)
            if depth < 3 and stop - body < 4096:
                found += _headers(data, body, stop, depth + 1)
    except MkvTextError:
        pass
    return found


def test_random_corruption_gives_an_error_or_a_result(films: Films) -> None:
    data = films.mkv
    layout = read_layout(data, len(data))
    head = data[: data.index(b"\x1f\x43\xb6\x75")]  # up to the first Cluster
    assert read_layout(head, len(data)) == layout
    offset, length = window_span(_index(data, layout), 0.0, 1e6, len(data))
    region = data[offset : offset + length]
    assert layout.cues_position is not None
    cues = data[layout.cues_position :]
    rng = random.Random(20240531)
    targets = [
        (head, _headers(head, 0, len(head)), lambda b: read_layout(b, len(data))),
        (region, _headers(region, 0, len(region)),
         lambda b: cues_in(b, offset, layout, {2, 3}, 0.0, 1e6)),
        (cues, _headers(cues, 0, len(cues)), lambda b: cluster_index(b, layout)),
    ]  # fmt: skip
    outcomes = {"error": 0, "result": 0}
    for n in range(300):
        source, hot, parse = targets[n % 3]
        try:
            result = parse(_mutate(rng, source, hot))
        except MkvTextError:
            outcomes["error"] += 1
        else:
            assert isinstance(result, MkvLayout | list)
            outcomes["result"] += 1
    assert outcomes["error"] > 20 and outcomes["result"] > 20
    assert issubclass(MkvTextError, EngineError)
