"""Text tracks inside a Matroska (MKV/WebM) file: SRT, ASS/SSA and WebVTT subtitles.

A subtitle track's blocks are interleaved with the video in the file's Clusters, each
near the video of its time, so the engine never serves a track as a file. Instead:

1. :func:`read_layout` reads the file's first bytes (EBML header, Segment header, then the
   Segment's children up to ``Tracks``): the text tracks, the timestamp scale, and where
   the ``Cues`` element lies (from the ``SeekHead``; muxers write it at the end).
2. :func:`cluster_index` turns the ``Cues`` (the file's seek index, one CuePoint per
   keyframe) into ``(time, cluster offset)`` pairs, and :func:`window_span` picks the byte
   range of the clusters that can hold the cues of a time window near the playhead (whose
   pieces the stream downloads anyway).
3. :func:`cues_in` walks those clusters and turns the text tracks' blocks into WebVTT cue
   text (with :mod:`engine.webvtt`'s SRT and ASS converters).

Pure functions over bytes and file offsets: no I/O. Everything read is bounded and checked
(:class:`MkvTextError` for a malformed element, an element beyond its parent, too many
elements...); data that merely ends (a window cut mid-cluster) stops the walk cleanly.
"""

from __future__ import annotations

import bisect
import html
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.errors import EngineError
from engine.webvtt import ASS_OVERRIDE, ass_cue_text, cue_lines_text

MAX_TEXT_TRACKS = 64  # text tracks kept (further ones are ignored)
MAX_TRACK_ENTRIES = 1024  # TrackEntry elements read at all
MAX_PRIVATE_BYTES = 256 * 1024  # a larger CodecPrivate is dropped (the track is kept)
MAX_CUES_BYTES = 32 * 1024 * 1024  # a larger Cues element is refused
MAX_CUE_POINTS = 200_000
MAX_BLOCKS = 100_000  # blocks (any track) walked by one cues_in call
MAX_ELEMENTS = 500_000  # elements of any kind read by one call
MAX_TEXT_BYTES = 64 * 1024  # a larger subtitle block (once decompressed) is skipped
MAX_WINDOW_TEXT_BYTES = 4 * 1024 * 1024  # subtitle blocks decoded by one cues_in call
DEFAULT_SCALE = 1_000_000  # ns per tick
DEFAULT_DURATION = 2.0  # seconds shown when a block has no BlockDuration
END_SLACK = 0.5  # seconds: B-frames are muxed in decode order, so a keyframe shown just
# after `end` can be written ahead of a cue starting just before `end`

EBML, DOC_TYPE, SEGMENT = 0x1A45DFA3, 0x4282, 0x18538067
SEEK_HEAD, SEEK, SEEK_ID, SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
INFO, TIMESTAMP_SCALE = 0x1549A966, 0x2AD7B1
TRACKS, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE = 0x1654AE6B, 0xAE, 0xD7, 0x83
CODEC_ID, CODEC_PRIVATE, NAME = 0x86, 0x63A2, 0x536E
LANGUAGE, LANGUAGE_BCP47 = 0x22B59C, 0x22B59D
FLAG_FORCED, FLAG_HEARING_IMPAIRED = 0x55AA, 0x55AB
CONTENT_ENCODINGS, CONTENT_ENCODING = 0x6D80, 0x6240
ENCODING_SCOPE, ENCODING_TYPE, COMPRESSION = 0x5032, 0x5033, 0x5034
COMP_ALGO, COMP_SETTINGS = 0x4254, 0x4255
CUES, CUE_POINT, CUE_TIME, CUE_TRACK_POSITIONS, CUE_CLUSTER_POSITION = (
    0x1C53BB6B, 0xBB, 0xB3, 0xB7, 0xF1)  # fmt: skip
CLUSTER, TIMESTAMP, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK, BLOCK_DURATION = (
    0x1F43B675, 0xE7, 0xA3, 0xA0, 0xA1, 0x9B)  # fmt: skip
VOID, CRC32 = 0xEC, 0xBF
TAGS, CHAPTERS, ATTACHMENTS = 0x1254C367, 0x1043A770, 0x1941A469
TOP_LEVEL = {SEEK_HEAD, INFO, TRACKS, CUES, CLUSTER, TAGS, CHAPTERS, ATTACHMENTS, EBML, SEGMENT}
SUBTITLE_TYPE = 17
DOC_TYPES = {b"matroska", b"webm"}
CODECS = {
    "S_TEXT/UTF8": "S_TEXT/UTF8",
    "S_TEXT/ASS": "S_TEXT/ASS",
    "S_TEXT/SSA": "S_TEXT/SSA",
    "S_TEXT/WEBVTT": "S_TEXT/WEBVTT",
    "S_ASS": "S_TEXT/ASS",  # the pre-2004 codec IDs, still in old files
    "S_SSA": "S_TEXT/SSA",
    "D_WEBVTT/SUBTITLES": "S_TEXT/WEBVTT",  # WebM's WebVTT mapping: same block payload
    "D_WEBVTT/CAPTIONS": "S_TEXT/WEBVTT",
}
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}")


class MkvTextError(EngineError):
    """Not a Matroska/WebM file, or its elements are malformed."""


class _Truncated(MkvTextError):
    """The data ends inside an element (a window cut mid-cluster; a head too short)."""


@dataclass(frozen=True)
class MkvTextTrack:
    number: int  # TrackNumber, as blocks name it
    language: str  # LanguageBCP47, else Language ("eng"), "und" when absent or garbled
    name: str  # Name, may be ""
    codec: str  # "S_TEXT/UTF8" | "S_TEXT/ASS" | "S_TEXT/SSA" | "S_TEXT/WEBVTT"
    forced: bool  # FlagForced
    sdh: bool  # FlagHearingImpaired
    private: bytes  # CodecPrivate (the ASS header), b"" when absent or over 256 KiB
    compressed: bool = False  # blocks are zlib-compressed (ContentCompAlgo 0)
    prefix: bytes = b""  # bytes header stripping removed from each block (ContentCompAlgo 3)


@dataclass(frozen=True)
class MkvLayout:
    segment_data_start: int  # file offset of the Segment's data (positions count from it)
    timestamp_scale: int  # ns per tick
    text_tracks: tuple[MkvTextTrack, ...]
    cues_position: int | None  # file offset of the Cues element, None when unknown


# --- EBML ----------------------------------------------------------------------------------


def _need(data: bytes, stop: int, end: int, what: str) -> None:
    """``data[..stop]`` must lie within the parent (``end``) and the data."""
    if stop > end:
        raise MkvTextError(f"{what} runs past its parent (byte {stop}, parent ends at {end})")
    if stop > len(data):
        raise _Truncated(f"{what} runs past the end of the data ({stop} > {len(data)})")


def _vint(data: bytes, pos: int, end: int, max_length: int, what: str) -> tuple[int, int]:
    """(raw value with its marker bit, length) of the EBML variable-size integer at ``pos``."""
    _need(data, pos + 1, end, what)
    length = 9 - data[pos].bit_length()  # 0x80 -> 1 ... 0x01 -> 8, 0x00 -> 9
    if length > max_length:
        raise MkvTextError(f"{what} at {pos}: a {length}-byte vint (at most {max_length})")
    _need(data, pos + length, end, what)
    return int.from_bytes(data[pos : pos + length], "big"), length


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int | None]:
    """(ID, payload start, payload size or None when unknown) of the element at ``pos``."""
    ident, id_length = _vint(data, pos, end, 4, "element ID")
    raw, size_length = _vint(data, pos + id_length, end, 8, f"size of element {ident:#x}")
    value_bits = 7 * size_length
    size = raw & ((1 << value_bits) - 1)
    unknown = size == (1 << value_bits) - 1
    return ident, pos + id_length + size_length, None if unknown else size


class _Budget:
    """The elements one call may read in all, so that no input makes a call slow."""

    def __init__(self) -> None:
        self.left = MAX_ELEMENTS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise MkvTextError(f"more than {MAX_ELEMENTS} elements to read in one call")


def _elements(
    data: bytes, start: int, end: int, what: str, cap: int, budget: _Budget
) -> Iterator[tuple[int, int, int, int]]:
    """(ID, element start, payload start, payload end) of each child of a master element
    whose payload is ``data[start:end]`` (``end`` may lie past the data: the walk raises
    :class:`_Truncated` when it gets there); at most ``cap`` of them."""
    pos = start
    count = 0
    while pos < end:
        count += 1
        if count > cap:
            raise MkvTextError(f"{what} holds more than {cap} elements")
        budget.spend()
        ident, body, size = _header(data, pos, end)
        if size is None:
            raise MkvTextError(f"element {ident:#x} at {pos} in {what} has an unknown size")
        _need(data, body + size, end, f"element {ident:#x} at {pos} ({size} bytes) in {what}")
        yield ident, pos, body, body + size
        pos = body + size


def _children(
    data: bytes, start: int, end: int, what: str, cap: int, budget: _Budget
) -> Iterator[tuple[int, int, int]]:
    """(ID, payload start, payload end) of each child, as :func:`_elements`."""
    for ident, _, body, stop in _elements(data, start, end, what, cap, budget):
        yield ident, body, stop


def _fields(
    data: bytes, start: int, end: int, what: str, budget: _Budget
) -> dict[int, tuple[int, int]]:
    """The first occurrence of each child of a master element, as payload spans."""
    found: dict[int, tuple[int, int]] = {}
    for ident, body, stop in _children(data, start, end, what, 4096, budget):
        found.setdefault(ident, (body, stop))
    return found


def _uint(data: bytes, span: tuple[int, int] | None, default: int = 0) -> int:
    if span is None:
        return default
    start, end = span
    if end - start > 8:
        raise MkvTextError(f"an unsigned integer of {end - start} bytes at {start}")
    return int.from_bytes(data[start:end], "big")


def _string(data: bytes, span: tuple[int, int] | None, limit: int = 256) -> str:
    if span is None:
        return ""
    raw = data[span[0] : min(span[1], span[0] + 4 * limit)].split(b"\0", 1)[0]
    return raw.decode("utf-8", "replace").strip()[:limit]


def element_size(data: bytes) -> int:
    """Total bytes (header and payload) of the element starting at ``data[0]``: what to
    read at :attr:`MkvLayout.cues_position` once its first 12 bytes are known. Raises
    :class:`MkvTextError` for an incomplete header or an unknown size."""
    _, body, size = _header(data, 0, sys.maxsize)
    if size is None:
        raise MkvTextError("the element has an unknown size")
    return body + size


# --- layout --------------------------------------------------------------------------------


def read_layout(head: bytes, file_size: int) -> MkvLayout:
    """The text tracks, timestamp scale and Cues position of a Matroska/WebM file, from its
    first bytes ``head``. Raises :class:`MkvTextError` when it is not Matroska/WebM, is
    malformed, or when ``Tracks`` does not lie within ``head``."""
    try:
        segment, segment_end = _segment(head, file_size)
    except _Truncated as exc:
        raise MkvTextError(f"the EBML and Segment headers are not within head: {exc}") from exc
    scale: int | None = None
    cues: int | None = None
    tracks: tuple[MkvTextTrack, ...] | None = None
    budget = _Budget()
    try:
        for ident, pos, body, stop in _elements(
            head, segment, segment_end, "Segment", MAX_ELEMENTS, budget
        ):
            if ident == INFO and scale is None:
                scale = _timestamp_scale(head, body, stop, budget)
            elif ident == SEEK_HEAD and cues is None:
                cues = _seek_cues(head, body, stop, segment, budget)
            elif ident == CUES and cues is None:
                cues = pos
            elif ident == TRACKS and tracks is None:
                tracks = _text_tracks(head, body, stop, budget)
            elif ident == CLUSTER and tracks is None:
                raise MkvTextError(f"a Cluster at {body} before the Tracks")
            if ident == CLUSTER or (tracks is not None and None not in (scale, cues)):
                break  # past Tracks, the head is only read for a later Info or Cues
    except _Truncated as exc:
        if tracks is None:
            raise MkvTextError(f"Tracks is not within the first {len(head)} bytes: {exc}") from exc
    except MkvTextError:
        if tracks is None:
            raise  # past Tracks, damage in what follows (Tags...) is left to the clusters
    if tracks is None:
        raise MkvTextError(f"the Segment ends at {segment_end} without Tracks")
    if cues is not None and not segment <= cues < min(segment_end, file_size):
        cues = None
    return MkvLayout(segment, scale or DEFAULT_SCALE, tracks, cues)


def _segment(head: bytes, file_size: int) -> tuple[int, int]:
    """(data start, data end) of the Segment after a Matroska/WebM EBML header."""
    if len(head) < 4 or int.from_bytes(head[:4], "big") != EBML:
        raise MkvTextError("not an EBML file (no EBML header)")
    ident, body, size = _header(head, 0, sys.maxsize)
    if size is None:
        raise MkvTextError("the EBML header has an unknown size")
    _need(head, body + size, sys.maxsize, "the EBML header")
    fields = _fields(head, body, body + size, "EBML header", _Budget())
    doc_type = head[slice(*fields.get(DOC_TYPE, (0, 0)))]
    if doc_type.rstrip(b"\0") not in DOC_TYPES:
        raise MkvTextError(f"DocType {doc_type[:32]!r} is neither matroska nor webm")
    pos = body + size
    while True:
        ident, body, size = _header(head, pos, sys.maxsize)
        if ident == SEGMENT:
            end = file_size if size is None else min(body + size, file_size)
            return body, max(end, body)
        if ident not in {VOID, CRC32} or size is None:
            raise MkvTextError(f"element {ident:#x} at {pos} where the Segment should start")
        pos = body + size


def _timestamp_scale(data: bytes, start: int, end: int, budget: _Budget) -> int:
    info = _fields(data, start, end, "Info", budget)
    scale = _uint(data, info.get(TIMESTAMP_SCALE), DEFAULT_SCALE)
    if not 0 < scale <= 10**12:
        raise MkvTextError(f"TimestampScale {scale} is out of range")
    return scale


def _seek_cues(data: bytes, start: int, end: int, segment: int, budget: _Budget) -> int | None:
    """File offset of the Cues element a SeekHead points at, None when it names none."""
    cues_id = CUES.to_bytes(4, "big")
    for ident, body, stop in _children(data, start, end, "SeekHead", 4096, budget):
        if ident != SEEK:
            continue
        seek = _fields(data, body, stop, "Seek", budget)
        seek_id = seek.get(SEEK_ID)
        position = seek.get(SEEK_POSITION)
        if seek_id is not None and position and data[slice(*seek_id)] == cues_id:
            return segment + _uint(data, position)
    return None


def _text_tracks(data: bytes, start: int, end: int, budget: _Budget) -> tuple[MkvTextTrack, ...]:
    tracks: list[MkvTextTrack] = []
    for ident, body, stop in _children(data, start, end, "Tracks", MAX_TRACK_ENTRIES, budget):
        if ident != TRACK_ENTRY:
            continue
        track = _text_track(data, body, stop, budget)
        if track is not None:
            tracks.append(track)
            if len(tracks) == MAX_TEXT_TRACKS:
                break
    return tuple(tracks)


def _text_track(data: bytes, start: int, end: int, budget: _Budget) -> MkvTextTrack | None:
    """The track, when it is a subtitle track in a text codec this module reads."""
    fields = _fields(data, start, end, "TrackEntry", budget)
    codec = CODECS.get(_string(data, fields.get(CODEC_ID)))
    if _uint(data, fields.get(TRACK_TYPE)) != SUBTITLE_TYPE or codec is None:
        return None
    number = _uint(data, fields.get(TRACK_NUMBER))
    if number == 0:
        return None  # no TrackNumber: no block can name it
    encoding = _encoding(data, fields.get(CONTENT_ENCODINGS), budget)
    if encoding is None:
        return None  # encrypted, or compressed in a way not read here
    private_span = fields.get(CODEC_PRIVATE, (0, 0))
    private = data[slice(*private_span)]
    if len(private) > MAX_PRIVATE_BYTES:
        private = b""
    return MkvTextTrack(number, _language(data, fields), _string(data, fields.get(NAME)),
                        codec, bool(_uint(data, fields.get(FLAG_FORCED))),
                        bool(_uint(data, fields.get(FLAG_HEARING_IMPAIRED))), private,
                        *encoding)  # fmt: skip


def _language(data: bytes, fields: dict[int, tuple[int, int]]) -> str:
    for ident in (LANGUAGE_BCP47, LANGUAGE):
        value = _string(data, fields.get(ident), 64)
        if value:
            return value if _LANGUAGE.fullmatch(value) else "und"
    return "und"


def _encoding(
    data: bytes, span: tuple[int, int] | None, budget: _Budget
) -> tuple[bool, bytes] | None:
    """(zlib, stripped prefix) of a track's ContentEncodings; None when blocks cannot be
    read (encryption, bzlib/lzo, several encodings)."""
    if span is None:
        return False, b""
    encodings = [(b, s) for i, b, s in _children(data, *span, "ContentEncodings", 16, budget)
                 if i == CONTENT_ENCODING]  # fmt: skip
    if not encodings:
        return False, b""
    if len(encodings) > 1:
        return None
    fields = _fields(data, *encodings[0], "ContentEncoding", budget)
    if not _uint(data, fields.get(ENCODING_SCOPE), 1) & 1:
        return False, b""  # applies to CodecPrivate only, not to the blocks
    if _uint(data, fields.get(ENCODING_TYPE)) != 0 or COMPRESSION not in fields:
        return None
    compression = _fields(data, *fields[COMPRESSION], "ContentCompression", budget)
    algo = _uint(data, compression.get(COMP_ALGO))
    if algo == 0:
        return True, b""
    if algo == 3:
        return False, data[slice(*compression.get(COMP_SETTINGS, (0, 0)))][:4096]
    return None


# --- index ---------------------------------------------------------------------------------


def cluster_index(cues: bytes, layout: MkvLayout) -> list[tuple[float, int]]:
    """Sorted, de-duplicated ``(time in seconds, cluster file offset)`` of every CuePoint of
    the Cues element ``cues`` (starting at its ID). Raises :class:`MkvTextError` when it is
    malformed, larger than ``MAX_CUES_BYTES`` or not all within ``cues``."""
    ident, body, size = _header(cues, 0, sys.maxsize)
    if ident != CUES:
        raise MkvTextError(f"element {ident:#x} where the Cues should be")
    if size is None or size > MAX_CUES_BYTES or body + size > len(cues):
        raise MkvTextError(f"the Cues claim {size} bytes, {len(cues) - body} given")
    points: set[tuple[float, int]] = set()
    base, scale = layout.segment_data_start, layout.timestamp_scale
    budget = _Budget()
    for kind, start, end in _children(cues, body, body + size, "Cues", MAX_CUE_POINTS, budget):
        if kind != CUE_POINT:
            continue
        time: int | None = None
        positions: list[int] = []
        for child, child_start, child_end in _children(cues, start, end, "CuePoint", 256, budget):
            if child == CUE_TIME:
                time = _uint(cues, (child_start, child_end))
            elif child == CUE_TRACK_POSITIONS:
                found = _fields(cues, child_start, child_end, "CueTrackPositions", budget)
                if CUE_CLUSTER_POSITION in found:
                    positions.append(base + _uint(cues, found[CUE_CLUSTER_POSITION]))
        if time is not None:
            points.update((_seconds(time, scale), offset) for offset in positions)
    return sorted(points)


def window_span(
    index: list[tuple[float, int]], start: float, end: float, file_size: int
) -> tuple[int, int]:
    """(file offset, length) of the clusters that can hold cues starting in
    ``[start, end)``: from the last indexed cluster at or before ``start`` (the first one
    when none) to the first indexed cluster at or after ``end + END_SLACK``, else to
    ``file_size``. Raises :class:`MkvTextError` when no indexed cluster lies in the file."""
    points = sorted((time, offset) for time, offset in index if 0 <= offset < file_size)
    if not points:
        raise MkvTextError("the Cues index lists no cluster within the file")
    times = [time for time, _ in points]
    before = bisect.bisect_right(times, start) - 1
    if before >= 0:
        begin = points[bisect.bisect_left(times, times[before])][1]
    else:
        begin = min(offset for _, offset in points)
    after = bisect.bisect_left(times, end + END_SLACK)
    stop = min((offset for _, offset in points[after:] if offset > begin), default=file_size)
    return begin, stop - begin


def _seconds(ticks: int, scale: int) -> float:
    return round(ticks * scale / 1e9, 9)


# --- clusters ------------------------------------------------------------------------------


@dataclass
class _Walk:
    """One :func:`cues_in` call: its inputs, counters and the cues found."""

    data: bytes
    data_offset: int
    tracks: dict[int, MkvTextTrack]
    scale: int
    start: float
    end: float
    budget: _Budget = field(default_factory=_Budget)
    blocks: int = 0
    text_bytes: int = 0
    found: list[tuple[int, float, float, str]] = field(default_factory=list)

    def count_block(self) -> None:
        self.blocks += 1
        if self.blocks > MAX_BLOCKS:
            raise MkvTextError(f"more than {MAX_BLOCKS} blocks in one window")

    def count_text(self, size: int) -> None:
        self.text_bytes += size
        if self.text_bytes > MAX_WINDOW_TEXT_BYTES:
            raise MkvTextError(f"more than {MAX_WINDOW_TEXT_BYTES} bytes of text in one window")


def cues_in(
    data: bytes,
    data_offset: int,
    layout: MkvLayout,
    numbers: set[int],
    start: float,
    end: float,
) -> list[tuple[int, float, float, str]]:
    """``(track number, start s, end s, WebVTT cue text)`` of the blocks of text tracks
    ``numbers`` starting in ``[start, end)``, in time order, from the Clusters in ``data``
    (which starts at a top-level element at file offset ``data_offset``). Other top-level
    elements are skipped; the walk stops cleanly where the data ends, keeping the blocks
    that were complete. Raises :class:`MkvTextError` on malformed clusters."""
    tracks = {t.number: t for t in layout.text_tracks if t.number in numbers}
    walk = _Walk(data, data_offset, tracks, layout.timestamp_scale, start, end)
    pos = 0
    try:
        while pos < len(data):
            walk.budget.spend()
            ident, body, size = _header(data, pos, sys.maxsize)
            if ident == CLUSTER:
                pos = _cluster(walk, body, size)
            elif size is None:
                raise MkvTextError(f"element {ident:#x} at {data_offset + pos}: unknown size")
            else:
                pos = body + size
    except _Truncated:
        pass  # the window's bytes end inside an element
    return sorted(walk.found, key=lambda cue: cue[1])


def _cluster(walk: _Walk, start: int, size: int | None) -> int:
    """Read the cluster whose payload starts at ``start``; returns where the next
    top-level element starts (for an unknown-size cluster: the next top-level ID)."""
    data = walk.data
    end = sys.maxsize if size is None else start + size
    pos = start
    timestamp: int | None = None
    while pos < min(end, len(data)):
        walk.budget.spend()
        ident, body, child_size = _header(data, pos, end)
        if size is None and ident in TOP_LEVEL:
            return pos
        where = f"element {ident:#x} at {walk.data_offset + pos}"
        if child_size is None:
            raise MkvTextError(f"{where} in a cluster has an unknown size")
        _need(data, body + child_size, end, where)
        if ident == TIMESTAMP:
            timestamp = _uint(data, (body, body + child_size))
        elif ident in {SIMPLE_BLOCK, BLOCK_GROUP}:
            walk.count_block()
            if timestamp is None:
                raise MkvTextError(f"{where}: a block before the cluster's Timestamp")
            _block_element(walk, ident, body, body + child_size, timestamp)
        pos = body + child_size
    return pos


def _block_element(walk: _Walk, ident: int, start: int, end: int, timestamp: int) -> None:
    """Record the cue of a SimpleBlock or BlockGroup, when it is one that is wanted."""
    duration = 0
    if ident == BLOCK_GROUP:
        fields = _fields(walk.data, start, end, "BlockGroup", walk.budget)
        if BLOCK not in fields:
            return
        duration = _uint(walk.data, fields.get(BLOCK_DURATION))
        start, end = fields[BLOCK]
    parsed = _block(walk.data, start, end)
    if parsed is None or parsed[0] not in walk.tracks:
        return
    number, relative, payload = parsed
    begin = _seconds(timestamp + relative, walk.scale)
    if not walk.start <= begin < walk.end:
        return
    track = walk.tracks[number]
    raw = _unpack(track, payload)
    walk.count_text(len(payload) if raw is None else len(raw))
    text = "" if raw is None else _text(track.codec, raw)
    if text:
        shown = _seconds(duration, walk.scale) if duration else DEFAULT_DURATION
        walk.found.append((number, begin, round(begin + shown, 9), text))


def _block(data: bytes, start: int, end: int) -> tuple[int, int, bytes] | None:
    """(track number, relative timestamp, payload) of a Block/SimpleBlock payload; None for
    a laced block (never used for subtitles)."""
    raw, length = _vint(data, start, end, 8, "block track number")
    number = raw & ((1 << (7 * length)) - 1)
    header_end = start + length + 3
    _need(data, header_end, end, "block header")
    relative = int.from_bytes(data[start + length : start + length + 2], "big", signed=True)
    if data[start + length + 2] & 0x06:
        return None
    return number, relative, data[header_end:end]


# --- cue text ------------------------------------------------------------------------------


def cue_text(track: MkvTextTrack, payload: bytes) -> str:
    """WebVTT cue text of one block of ``track`` (its compression undone); empty for an
    empty, oversized or undecodable block."""
    raw = _unpack(track, payload)
    return "" if raw is None else _text(track.codec, raw)


def _unpack(track: MkvTextTrack, payload: bytes) -> bytes | None:
    """The block's bytes with the track's compression undone; None when over
    ``MAX_TEXT_BYTES`` or not decompressible."""
    if track.compressed:
        try:
            payload = zlib.decompressobj().decompress(payload, MAX_TEXT_BYTES + 1)
        except zlib.error:
            return None
    payload = track.prefix + payload
    return payload if len(payload) <= MAX_TEXT_BYTES else None


def _text(codec: str, raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    if codec in {"S_TEXT/ASS", "S_TEXT/SSA"}:
        fields = text.split(",", 8)  # ReadOrder,Layer,Style,Name,MarginL,R,V,Effect,Text
        cue = ass_cue_text(fields[-1].replace("\n", "\\N"))
    elif codec == "S_TEXT/WEBVTT":
        cue = _webvtt_text(text)
    else:
        cue = cue_lines_text([ASS_OVERRIDE.sub("", line) for line in text.split("\n")])
    return cue if cue.strip() else ""  # markup around nothing leaves blanks


_LT, _GT = "\ue000", "\ue001"  # escaped < > held aside while the markup is cleaned


def _webvtt_text(text: str) -> str:
    """WebVTT cue text re-sanitized: entities read, <i>/<b>/<u> kept, other tags dropped."""
    held = text.replace(_LT, "").replace(_GT, "").replace("&lt;", _LT).replace("&gt;", _GT)
    cleaned = cue_lines_text(html.unescape(held).split("\n"))
    return cleaned.replace(_LT, "&lt;").replace(_GT, "&gt;")
