"""The film's own text tracks (MP4 ``tx3g``, Matroska SRT/ASS/WebVTT), cue by time window.

A text track's samples are interleaved with the video through the whole file, so it is
never served whole (that would fetch the film): :func:`inner_tracks` reads the container's
index once per film (MP4: the ``moov`` sample tables; Matroska: ``Tracks`` in the head and
the ``Cues`` seek index, usually at the end) and :func:`window_vtt` fetches only what holds
one time window's cues -- the text samples themselves (MP4) or the clusters of that window
(Matroska), near the playhead, where the stream downloads them anyway. Parsing is in
:mod:`engine.mp4_text` and :mod:`engine.mkv_text`; blocking, like :mod:`engine.file_bytes`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath

from engine import mkv_text
from engine.errors import StreamStalled, SubtitleWindowError
from engine.file_bytes import head_span, read_spans
from engine.mkv_text import MkvLayout, MkvTextError, MkvTextTrack
from engine.mp4 import locate_index
from engine.mp4_text import (
    MAX_INDEX_BYTES,
    Mp4TextError,
    TextTrack,
    cue_text,
    find_moov,
    text_tracks,
)
from engine.torrents import ActiveTorrent
from engine.webvtt import vtt_timestamp

log = logging.getLogger(__name__)

MP4_SUFFIXES = {".mp4", ".m4v", ".mov"}
MKV_SUFFIXES = {".mkv", ".webm"}
MP4_HEAD_BYTES = 4096  # the top-level box headers before the media data
MKV_HEAD_BYTES = 512 * 1024  # EBML header, SeekHead, Info and Tracks (ASS styles included)
MP4_WINDOW_SECONDS = 60  # the text samples alone are read: a minute is a few KB
MKV_WINDOW_BYTES = 16 * 1024 * 1024  # Matroska windows read whole clusters: sized by bitrate
MAX_MKV_SPAN_BYTES = 64 * 1024 * 1024  # a window needing more clusters than this is refused
MAX_WINDOW_CUES = 2000

Cue = tuple[float, float, str]  # start s, end s, WebVTT cue text
CueReader = Callable[[ActiveTorrent, tuple[float, float], float], list[Cue]]


@dataclass(frozen=True)
class InnerTrack:
    """A text track inside the film, whatever the container."""

    language: str  # as the container names it ("eng", "pt-BR"), "und" when unknown
    name: str  # the track's own name ("SubtitleHandler", "English SDH"), may be empty
    codec: str  # "tx3g", "S_TEXT/UTF8", "S_TEXT/ASS"...
    forced: bool
    sdh: bool
    text_bytes: int  # size of its text when the index tells (MP4), else 0
    window_seconds: int  # what a player should ask for at a time
    cues: CueReader  # (torrent, window, timeout) -> cues starting in the window


class _Cache:
    """Tracks by (info-hash, file index): a film's index is read once."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], list[InnerTrack]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> list[InnerTrack] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, int], value: list[InnerTrack]) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_cache = _Cache()
_reading: set[tuple[str, int]] = set()  # films whose index a request is reading now
_reading_lock = threading.Lock()


def inner_tracks(torrent: ActiveTorrent, *, timeout: float) -> list[InnerTrack]:
    """The text tracks of the stream's film (none for other containers, or an index that
    is malformed or cannot be used: logged). Raises :class:`engine.errors.StreamStalled`
    when the index does not arrive in ``timeout`` seconds (nothing cached then), or while
    another request reads it: a request holds one of the engine's work threads while it
    waits, so many listings of one stalled film must not hold them all."""
    main = torrent.main
    suffix = PurePosixPath(main.path).suffix.lower()
    if suffix not in MP4_SUFFIXES | MKV_SUFFIXES:
        return []
    key = (torrent.info_hash, main.index)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _reading_lock:  # one request reads a film's index; the others do not queue up
        cached = _cache.get(key)  # stored while this request waited for the lock
        if cached is not None:
            return cached
        if key in _reading:
            raise StreamStalled(f"the index of source {torrent.source_id} is being read")
        _reading.add(key)
    read = _mp4_tracks if suffix in MP4_SUFFIXES else _mkv_tracks
    try:
        try:
            tracks = read(torrent, time.monotonic() + timeout)
        except (Mp4TextError, MkvTextError) as exc:
            log.warning("source %s: no text tracks read from the index: %s", torrent.source_id,
                        exc)  # fmt: skip
            tracks = []
        _cache.put(key, tracks)  # cached before the key is released: no second read
    finally:
        with _reading_lock:
            _reading.discard(key)
    return tracks


def window_vtt(
    torrent: ActiveTorrent, track: InnerTrack, window: tuple[float, float], timeout: float
) -> str:
    """WebVTT of the cues of ``track`` that start in ``window``."""
    blocks = ["WEBVTT", ""]
    for start, end, text in track.cues(torrent, window, timeout)[:MAX_WINDOW_CUES]:
        first, last = _millis(start), _millis(max(end, start))
        blocks += [f"{vtt_timestamp(first)} --> {vtt_timestamp(last)}", text, ""]
    return "\n".join(blocks)


def _millis(seconds: float) -> int:
    return max(round(seconds * 1000), 0)  # an edit list can put a cue before 0


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


# --- MP4 -----------------------------------------------------------------------------------


def _mp4_tracks(torrent: ActiveTorrent, deadline: float) -> list[InnerTrack]:
    main = torrent.main
    head = read_spans(torrent, main, [head_span(torrent, main, MP4_HEAD_BYTES)],
                      timeout=_left(deadline))[0]  # fmt: skip
    found = locate_index(head, main.size)
    if found is None or found.end - found.start > MAX_INDEX_BYTES:
        return []
    index = read_spans(torrent, main, [(found.start, found.end - found.start)],
                       timeout=_left(deadline))[0]  # fmt: skip
    moov = index if found.exact else find_moov(index)
    tracks = text_tracks(moov) if moov else []
    out = []
    for track in tracks:
        track = track.within(main.size)
        out.append(InnerTrack(track.language, track.name, track.codec, False, False,
                              track.text_bytes, MP4_WINDOW_SECONDS,
                              partial(_mp4_cues, track)))  # fmt: skip
    return out


def _mp4_cues(
    track: TextTrack, torrent: ActiveTorrent, window: tuple[float, float], timeout: float
) -> list[Cue]:
    samples = track.in_window(*window)[:MAX_WINDOW_CUES]
    spans = [(s.offset, s.size) for s in samples]
    bodies = read_spans(torrent, torrent.main, spans, timeout=timeout) if spans else []
    cues = []
    for sample, body in zip(samples, bodies, strict=True):
        text = cue_text(body)
        if text:
            cues.append((sample.start, sample.end, text))
    return cues


# --- Matroska ------------------------------------------------------------------------------


def _mkv_tracks(torrent: ActiveTorrent, deadline: float) -> list[InnerTrack]:
    main = torrent.main
    head = read_spans(torrent, main, [head_span(torrent, main, MKV_HEAD_BYTES)],
                      timeout=_left(deadline))[0]  # fmt: skip
    layout = mkv_text.read_layout(head, main.size)
    if not layout.text_tracks:
        return []
    if layout.cues_position is None:
        log.info("source %s: Matroska without a Cues index: its text tracks are not served",
                 torrent.source_id)  # fmt: skip
        return []
    start = layout.cues_position
    header = read_spans(torrent, main, [(start, 16)], timeout=_left(deadline))[0]
    size = mkv_text.element_size(header)
    cues = read_spans(torrent, main, [(start, size)], timeout=_left(deadline))[0]
    index = mkv_text.cluster_index(cues, layout)
    if not index:
        return []
    duration = max(index[-1][0], 1.0)
    seconds = int(min(max(MKV_WINDOW_BYTES * duration / max(main.size, 1), 5), 60))
    reader = partial(_mkv_cues, layout, tuple(index))
    out = []
    for track in layout.text_tracks:
        out.append(InnerTrack(track.language, track.name, track.codec, track.forced, track.sdh,
                              0, seconds, partial(reader, track)))  # fmt: skip
    return out


def _mkv_cues(
    layout: MkvLayout,
    index: tuple[tuple[float, int], ...],
    track: MkvTextTrack,
    torrent: ActiveTorrent,
    window: tuple[float, float],
    timeout: float,
) -> list[Cue]:
    main = torrent.main
    offset, length = mkv_text.window_span(list(index), window[0], window[1], main.size)
    if length > MAX_MKV_SPAN_BYTES:
        raise SubtitleWindowError(
            f"this film's clusters for {window[1] - window[0]:.0f} s are {length >> 20} MiB: "
            "ask for a shorter window (the listing's window_seconds)"
        )
    if length <= 0:
        return []
    data = read_spans(torrent, main, [(offset, length)], timeout=timeout)[0]
    found = mkv_text.cues_in(data, offset, layout, {track.number}, window[0], window[1])
    return [(start, end, text) for _, start, end, text in found]
