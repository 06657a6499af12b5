"""Text tracks inside an MP4 (3GPP timed text, ``tx3g``: what ffmpeg's ``mov_text`` writes).

A text track's samples are interleaved with the video through the whole file, so the
engine never serves one as a file: :func:`text_tracks` reads the sample tables from the
index (``moov``, which the player needs first anyway) and gives each cue's time and byte
range; the HTTP layer fetches only the samples of a time window near the playhead, whose
pieces the stream downloads anyway. :func:`cue_text` turns one sample into WebVTT cue text.

Pure functions over bytes: no I/O. Everything read from the file is bounded and checked
(:class:`Mp4TextError` for a box or table that contradicts its own size).
"""

from __future__ import annotations

import html
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace

from engine.errors import EngineError

MAX_INDEX_BYTES = 64 * 1024 * 1024  # a moov larger than this is not read
MAX_SAMPLES = 100_000  # over all text tracks (a 3-hour film with a cue a second: 10,800)
MAX_SAMPLE_BYTES = 64 * 1024  # a tx3g sample: 2-byte length + text + style boxes
MAX_TRACKS = 32
TEXT_HANDLERS = {b"text", b"sbtl", b"subt"}
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


class Mp4TextError(EngineError):
    """The index's boxes or sample tables are malformed."""


@dataclass(frozen=True)
class TextSample:
    start: float  # seconds on the film's timeline
    end: float
    offset: int  # file byte of the sample
    size: int


@dataclass(frozen=True)
class TextTrack:
    track_id: int
    language: str  # ISO 639-2/T from mdhd ("eng"), "und" when unset
    name: str  # the handler's name ("SubtitleHandler"), may be empty
    codec: str  # "tx3g"
    samples: tuple[TextSample, ...]  # in time order, empty (gap) samples left out

    @property
    def text_bytes(self) -> int:
        return sum(s.size for s in self.samples)

    def within(self, size: int) -> TextTrack:
        """The track without samples that lie past a file of ``size`` bytes."""
        samples = tuple(s for s in self.samples if s.offset + s.size <= size)
        return self if len(samples) == len(self.samples) else replace(self, samples=samples)

    def in_window(self, start: float, end: float) -> list[TextSample]:
        """The samples whose cue starts in ``[start, end)``."""
        return [s for s in self.samples if start <= s.start < end]


# --- boxes ---------------------------------------------------------------------------------


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Mp4TextError(f"box {kind!r} at {pos}: truncated 64-bit size")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos  # runs to the end of its parent
        if size < header or pos + size > end:
            raise Mp4TextError(f"box {kind!r} at {pos} claims {size} bytes, {end - pos} left")
        yield kind, pos + header, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, child_start, child_end in _boxes(data, start, end):
        if found == kind:
            return child_start, child_end
    return None


def _full_box(data: bytes, start: int, end: int, need: int, kind: str) -> int:
    """Version of a full box whose payload must hold ``need`` bytes after version/flags."""
    if end - start < 4 + need:
        raise Mp4TextError(f"{kind} box is {end - start} bytes, too short")
    return data[start]


def _table(data: bytes, start: int, end: int, entry: int, kind: str, cap: int) -> tuple[int, int]:
    """(entry count, first entry position) of a full box's table of ``entry``-byte rows."""
    _full_box(data, start, end, 4, kind)
    count = struct.unpack_from(">I", data, start + 4)[0]
    if count > cap or start + 8 + count * entry > end:
        raise Mp4TextError(f"{kind} lists {count} entries in {end - start - 8} bytes")
    return count, start + 8


# --- tracks --------------------------------------------------------------------------------


def find_moov(data: bytes) -> bytes | None:
    """The ``moov`` box (header included) among the top-level boxes of ``data``."""
    box_start = 0  # top-level boxes sit back to back from byte 0
    try:
        for kind, _, end in _boxes(data, 0, len(data)):
            if kind == b"moov":
                return data[box_start:end]
            box_start = end
    except Mp4TextError:
        return None
    return None


def text_tracks(moov: bytes) -> list[TextTrack]:
    """The ``tx3g`` text tracks of a ``moov`` box (its header included); other tracks and
    text formats are skipped. Raises :class:`Mp4TextError` on a malformed index."""
    if len(moov) > MAX_INDEX_BYTES:
        raise Mp4TextError(f"the index is {len(moov)} bytes, over {MAX_INDEX_BYTES}")
    top = list(_boxes(moov, 0, len(moov)))
    if len(top) != 1 or top[0][0] != b"moov":
        raise Mp4TextError("not a moov box")
    _, start, end = top[0]
    movie_scale = _movie_timescale(moov, start, end)
    tracks: list[TextTrack] = []
    budget = [MAX_SAMPLES]  # samples left to read over all tracks
    for kind, trak_start, trak_end in _boxes(moov, start, end):
        if kind == b"trak":
            track = _text_track(moov, trak_start, trak_end, movie_scale, budget)
            if track is not None:
                tracks.append(track)
                if len(tracks) >= MAX_TRACKS:
                    break
    return tracks


def _movie_timescale(data: bytes, start: int, end: int) -> int:
    found = _child(data, start, end, b"mvhd")
    if found is None:
        raise Mp4TextError("moov has no mvhd")
    version = _full_box(data, *found, 20, "mvhd")
    scale = struct.unpack_from(">I", data, found[0] + (20 if version == 1 else 12))[0]
    if scale == 0:
        raise Mp4TextError("mvhd timescale is 0")
    return int(scale)


def _text_track(
    data: bytes, start: int, end: int, movie_scale: int, budget: list[int]
) -> TextTrack | None:
    mdia = _child(data, start, end, b"mdia")
    hdlr = mdia and _child(data, *mdia, b"hdlr")
    if mdia is None or hdlr is None:
        return None
    _full_box(data, *hdlr, 20, "hdlr")
    if data[hdlr[0] + 8 : hdlr[0] + 12] not in TEXT_HANDLERS:
        return None
    stbl = _path(data, mdia, b"minf", b"stbl")
    stsd = stbl and _child(data, *stbl, b"stsd")
    if stbl is None or stsd is None:
        raise Mp4TextError("text track without a sample table")
    _full_box(data, *stsd, 12, "stsd")
    codec = data[stsd[0] + 12 : stsd[0] + 16]
    if codec != b"tx3g":
        return None  # another text format (wvtt, c608): not read
    tkhd = _child(data, start, end, b"tkhd")
    if tkhd is None:
        raise Mp4TextError("track without tkhd")
    tkhd_version = _full_box(data, *tkhd, 24, "tkhd")
    track_id = struct.unpack_from(">I", data, tkhd[0] + (20 if tkhd_version == 1 else 12))[0]
    scale, language = _media_header(data, mdia)
    shift = _edit_shift(data, start, end, movie_scale, scale)
    samples = _samples(data, stbl, scale, shift, budget)
    name = data[hdlr[0] + 24 : hdlr[1]].split(b"\0", 1)[0]
    return TextTrack(int(track_id), language, name.decode("utf-8", "replace")[:64].strip(),
                     "tx3g", samples)  # fmt: skip


def _path(data: bytes, found: tuple[int, int] | None, *kinds: bytes) -> tuple[int, int] | None:
    for kind in kinds:
        if found is None:
            return None
        found = _child(data, *found, kind)
    return found


def _media_header(data: bytes, mdia: tuple[int, int]) -> tuple[int, str]:
    """(timescale, ISO 639-2/T language) from mdhd."""
    mdhd = _child(data, *mdia, b"mdhd")
    if mdhd is None:
        raise Mp4TextError("track without mdhd")
    version = _full_box(data, *mdhd, 20, "mdhd")
    at = mdhd[0] + (20 if version == 1 else 12)
    if mdhd[0] + (32 if version == 1 else 20) + 2 > mdhd[1]:
        raise Mp4TextError("mdhd too short")
    scale = struct.unpack_from(">I", data, at)[0]
    if scale == 0:
        raise Mp4TextError("mdhd timescale is 0")
    packed = struct.unpack_from(">H", data, mdhd[0] + (32 if version == 1 else 20))[0]
    letters = "".join(chr(((packed >> shift) & 0x1F) + 0x60) for shift in (10, 5, 0))
    language = letters if letters.isalpha() and letters.islower() else "und"
    return int(scale), language


def _edit_shift(data: bytes, start: int, end: int, movie_scale: int, scale: int) -> float:
    """Seconds to add to media times: leading empty edits delay the track; the first
    edit's media time is where presentation starts."""
    elst = _path(data, (start, end), b"edts", b"elst")
    if elst is None:
        return 0.0
    version = _full_box(data, *elst, 4, "elst")
    row = 20 if version == 1 else 12
    count, pos = _table(data, *elst, row, "elst", 1024)
    delay = 0.0
    for _ in range(count):
        if version == 1:
            duration, media_time = struct.unpack_from(">Qq", data, pos)
        else:
            duration, media_time = struct.unpack_from(">Ii", data, pos)
        pos += row
        if media_time == -1:
            delay += duration / movie_scale
            continue
        return delay - media_time / scale
    return delay


def _samples(
    data: bytes, stbl: tuple[int, int], scale: int, shift: float, budget: list[int]
) -> tuple[TextSample, ...]:
    """The track's non-empty samples; ``budget[0]``, the samples all tracks may still
    have, shrinks by this track's count (a small index must not expand to millions)."""
    stts, stsc, stsz = (_child(data, *stbl, k) for k in (b"stts", b"stsc", b"stsz"))
    stco = _child(data, *stbl, b"stco")
    chunks = stco or _child(data, *stbl, b"co64")
    if stts is None or stsc is None or stsz is None or chunks is None:
        raise Mp4TextError("text track's sample table is incomplete (stts/stsc/stsz/stco)")
    sizes = _sizes(data, stsz)
    if len(sizes) > budget[0]:
        raise Mp4TextError(f"the text tracks list over {MAX_SAMPLES} samples in all")
    budget[0] -= len(sizes)
    times = _times(data, stts, len(sizes))
    offsets = _offsets(data, stsc, chunks, stco is None, sizes)
    samples = []
    for (begin, duration), offset, size in zip(times, offsets, sizes, strict=True):
        if size <= 2:
            continue  # a gap between cues: an empty text
        if size > MAX_SAMPLE_BYTES:
            raise Mp4TextError(f"a text sample of {size} bytes")
        start = round(begin / scale + shift, 3)
        samples.append(TextSample(start, round(start + duration / scale, 3), offset, size))
    samples.sort(key=lambda s: s.start)
    return tuple(samples)


def _sizes(data: bytes, stsz: tuple[int, int]) -> list[int]:
    _full_box(data, *stsz, 8, "stsz")
    fixed, count = struct.unpack_from(">II", data, stsz[0] + 4)
    if count > MAX_SAMPLES:
        raise Mp4TextError(f"stsz lists {count} samples, over {MAX_SAMPLES}")
    if fixed:
        return [fixed] * count
    if stsz[0] + 12 + 4 * count > stsz[1]:
        raise Mp4TextError(f"stsz lists {count} sizes in {stsz[1] - stsz[0] - 12} bytes")
    return list(struct.unpack_from(f">{count}I", data, stsz[0] + 12))


def _times(data: bytes, stts: tuple[int, int], wanted: int) -> list[tuple[int, int]]:
    count, pos = _table(data, *stts, 8, "stts", MAX_SAMPLES)
    times: list[tuple[int, int]] = []
    clock = 0
    for _ in range(count):
        run, delta = struct.unpack_from(">II", data, pos)
        pos += 8
        if len(times) + run > wanted:
            raise Mp4TextError(f"stts times more samples than stsz's {wanted}")
        for _ in range(run):
            times.append((clock, delta))
            clock += delta
    if len(times) != wanted:
        raise Mp4TextError(f"stts times {len(times)} samples, stsz sizes {wanted}")
    return times


def _offsets(
    data: bytes, stsc: tuple[int, int], chunks_box: tuple[int, int], wide: bool, sizes: list[int]
) -> list[int]:
    rows, pos = _table(data, *stsc, 12, "stsc", MAX_SAMPLES)
    runs = [struct.unpack_from(">III", data, pos + 12 * i) for i in range(rows)]
    chunk_count, at = _table(data, *chunks_box, 8 if wide else 4, "stco", MAX_SAMPLES)
    chunks = struct.unpack_from(f">{chunk_count}{'Q' if wide else 'I'}", data, at)
    offsets: list[int] = []
    for row, (first, per_chunk, _) in enumerate(runs):
        last = runs[row + 1][0] - 1 if row + 1 < rows else chunk_count
        if first < 1 or last > chunk_count or (row + 1 < rows and last < first):
            raise Mp4TextError(f"stsc row {row} names chunks {first}..{last} of {chunk_count}")
        for chunk in range(first, last + 1):
            position = chunks[chunk - 1]
            for _ in range(per_chunk):
                if len(offsets) == len(sizes):
                    raise Mp4TextError("stsc places more samples than stsz sizes")
                offsets.append(position)
                position += sizes[len(offsets) - 1]
    if len(offsets) != len(sizes):
        raise Mp4TextError(f"stsc places {len(offsets)} samples, stsz sizes {len(sizes)}")
    return offsets


# --- cue text ------------------------------------------------------------------------------


def cue_text(sample: bytes) -> str:
    """WebVTT cue text of one ``tx3g`` sample: its text (UTF-8, or UTF-16 after a BOM),
    escaped for WebVTT, with the sample's bold/italic/underline styles (``styl``) as
    ``<b>``/``<i>``/``<u>``. Empty for an empty or malformed sample."""
    if len(sample) < 2:
        return ""
    length = struct.unpack_from(">H", sample)[0]
    raw = sample[2 : 2 + length]
    if raw.startswith(b"\xfe\xff"):
        text = raw[2:].decode("utf-16-be", "replace")
    else:
        text = raw.decode("utf-8", "replace")
    styles = _styles(sample, 2 + length, len(text))  # offsets count "\r" too
    styled = _styled(text, styles).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in styled.split("\n") if line.strip()]
    return "\n".join(lines)


def _styles(sample: bytes, start: int, chars: int) -> list[tuple[int, int, int]]:
    """(first char, end char, face flags) runs from the sample's ``styl`` box."""
    try:
        for kind, begin, end in _boxes(sample, start, len(sample)):
            if kind == b"styl" and end - begin >= 2:
                count = min(struct.unpack_from(">H", sample, begin)[0], (end - begin - 2) // 12)
                runs = []
                for i in range(count):
                    first, last, _, flags = struct.unpack_from(">HHHB", sample, begin + 2 + 12 * i)
                    if first < last <= chars and flags & 0x07:
                        runs.append((first, last, flags & 0x07))
                return sorted(runs)
    except Mp4TextError:
        pass
    return []


def _styled(text: str, runs: list[tuple[int, int, int]]) -> str:
    out: list[str] = []
    pos = 0
    for first, last, flags in runs:
        if first < pos:
            continue  # overlapping runs: keep the first
        tags = [tag for bit, tag in ((1, "b"), (2, "i"), (4, "u")) if flags & bit]
        out.append(_escape(text[pos:first]))
        inner = _escape(text[first:last])
        for tag in tags:
            inner = f"<{tag}>{inner}</{tag}>"
        out.append(inner)
        pos = last
    out.append(_escape(text[pos:]))
    return "".join(out)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)  # & < > (so no "-->" inside a cue)
