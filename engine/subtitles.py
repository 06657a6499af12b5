"""Subtitle files inside a stream's torrent: listed with a guessed language, served as WebVTT.

No HTTP here: the engine's HTTP layer calls :func:`list_for` and :func:`read_vtt` (both
blocking: run them in a worker thread from an async server). Conversion is in
:mod:`engine.webvtt`.

Routes (the contract the web and TV players rely on)::

    GET /stream/<key>/subtitles
        200 application/json  {"tracks": [track, ...]}   (possibly empty)
        track = {"index": 0, "label": "English (SDH)", "language": "en", "format": "srt",
                 "forced": false, "sdh": true, "name": "Movie.2019.en.sdh.srt",
                 "size_bytes": 51234, "path": "subtitles/0.vtt"}
        ``path`` is relative to the stream URL: ``<stream_url>/subtitles/0.vtt``.
    GET /stream/<key>/subtitles/<index>.vtt
        200 text/vtt; charset=utf-8, the WebVTT text of track ``index``.

The film's own text tracks (MP4 ``tx3g``, Matroska SRT/ASS/WebVTT: :mod:`engine.inner_text`)
are listed after the files, with ``"embedded": true`` and ``"window_seconds"`` (what to ask
for at a time; ``format`` the codec, ``name`` the track's own name). Their cues are spread
through the whole film, so they are served by time window only::

    GET /stream/<key>/subtitles/<index>.vtt?from=<s>&to=<e>
        200 text/vtt: the cues whose start lies in [from, to) (seconds; 0 <= from < to,
        to - from <= 600); without a window 400 ``window_required``, a bad one 400
        ``bad_window``. Only the pieces holding those cues are fetched: near the playhead,
        the stream downloads them anyway.

The listing waits up to the stall timeout for the index; when it does not arrive, it lists
the files only (the embedded tracks come with a later listing; file indexes never move).

Both verify the stream key like ``/stream/<key>`` (same errors), open the source the same
way (``StreamingEngine.open(source_id, user=...)``), answer ``Cache-Control: private,
max-age=3600`` (a track never changes for a key), ``X-Content-Type-Options: nosniff`` and
``Access-Control-Allow-Origin: *``: the player fetches them from the web client's origin
(``fetch`` with ``credentials: "omit"``; a ``<track crossorigin="anonymous">`` needs it
too). Errors use the engine's JSON error shape; :func:`http_error` gives status and code
for the exceptions of this module: unknown index → 404 ``subtitle_not_found``, a file that
cannot be read as subtitles → 422 ``subtitle_unreadable``, its pieces not arriving in time →
504 ``subtitle_timeout``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from engine.errors import (
    StreamStalled,
    SubtitleError,
    SubtitleNotFound,
    SubtitleWindowError,
)
from engine.file_bytes import read_spans
from engine.inner_text import InnerTrack, inner_tracks, window_vtt
from engine.lt import FileEntry, TorrentMeta
from engine.torrents import ActiveTorrent
from engine.webvtt import MAX_INPUT_BYTES, to_webvtt

log = logging.getLogger(__name__)

MAX_TRACKS = 64
FETCH_TIMEOUT = 30.0
SUBTITLE_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}
MAX_WINDOW_SECONDS = 600.0

# --- languages -----------------------------------------------------------------------------

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "es": "Spanish", "es-419": "Spanish (Latin America)", "fr": "French",
    "de": "German", "it": "Italian", "pt": "Portuguese", "pt-BR": "Portuguese (Brazil)",
    "nl": "Dutch", "sv": "Swedish", "no": "Norwegian", "da": "Danish", "fi": "Finnish",
    "is": "Icelandic", "pl": "Polish", "cs": "Czech", "sk": "Slovak", "sl": "Slovenian",
    "hr": "Croatian", "sr": "Serbian", "bs": "Bosnian", "hu": "Hungarian", "ro": "Romanian",
    "bg": "Bulgarian", "el": "Greek", "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian",
    "et": "Estonian", "lv": "Latvian", "lt": "Lithuanian", "ca": "Catalan", "eu": "Basque",
    "gl": "Galician", "he": "Hebrew", "ar": "Arabic", "fa": "Persian", "hi": "Hindi",
    "bn": "Bengali", "ta": "Tamil", "th": "Thai", "vi": "Vietnamese", "id": "Indonesian",
    "ms": "Malay", "tl": "Filipino", "zh": "Chinese", "zh-Hans": "Chinese (Simplified)",
    "zh-Hant": "Chinese (Traditional)", "ja": "Japanese", "ko": "Korean",
}  # fmt: skip

# Codes (``en``, ``eng``, ``pob``) are trusted only as the last word of a name
# (``Movie.2019.en.srt``): as a title word they would mislead ("The.Cat.srt"). Language
# names (English, Español, Latino...) count anywhere in the last three words.
_NAMES: dict[str, str] = {
    **{name.lower(): code for code, name in LANGUAGE_NAMES.items() if "(" not in name},
    "espanol": "es", "español": "es", "castellano": "es", "latino": "es-419",
    "latam": "es-419", "francais": "fr", "français": "fr", "deutsch": "de",
    "italiano": "it", "portugues": "pt", "português": "pt", "brazilian": "pt-BR",
    "brasil": "pt-BR", "nederlands": "nl", "flemish": "nl", "svenska": "sv", "norsk": "no",
    "dansk": "da", "suomi": "fi", "polski": "pl", "magyar": "hu", "romana": "ro",
    "turkce": "tr", "farsi": "fa", "tagalog": "tl", "simplified": "zh-Hans",
    "traditional": "zh-Hant", "mandarin": "zh", "cantonese": "zh-Hant",
}  # fmt: skip
_CODES: dict[str, str] = {
    **{code: code for code in LANGUAGE_NAMES if len(code) == 2},
    "br": "pt-BR", "pb": "pt-BR", "gr": "el", "jp": "ja", "cn": "zh-Hans",
    "eng": "en", "spa": "es", "esp": "es", "fre": "fr", "fra": "fr", "ger": "de",
    "deu": "de", "ita": "it", "por": "pt", "pob": "pt-BR", "ptbr": "pt-BR", "dut": "nl",
    "nld": "nl", "swe": "sv", "nor": "no", "dan": "da", "fin": "fi", "ice": "is",
    "isl": "is", "pol": "pl", "cze": "cs", "ces": "cs", "slo": "sk", "slk": "sk",
    "slv": "sl", "hrv": "hr", "srp": "sr", "bos": "bs", "hun": "hu", "rum": "ro",
    "ron": "ro", "bul": "bg", "gre": "el", "ell": "el", "tur": "tr", "rus": "ru",
    "ukr": "uk", "est": "et", "lav": "lv", "lit": "lt", "cat": "ca", "baq": "eu",
    "eus": "eu", "glg": "gl", "heb": "he", "ara": "ar", "per": "fa", "fas": "fa",
    "hin": "hi", "ben": "bn", "tam": "ta", "tha": "th", "vie": "vi", "ind": "id",
    "may": "ms", "msa": "ms", "fil": "tl", "chi": "zh", "zho": "zh", "chs": "zh-Hans",
    "cht": "zh-Hant", "jpn": "ja", "kor": "ko",
}  # fmt: skip
_PAIRS = {("pt", "br"): "pt-BR", ("es", "419"): "es-419", ("es", "la"): "es-419",
          ("zh", "cn"): "zh-Hans", ("zh", "hans"): "zh-Hans", ("zh", "tw"): "zh-Hant",
          ("zh", "hk"): "zh-Hant", ("zh", "hant"): "zh-Hant"}  # fmt: skip
_FORCED = {"forced", "foreign"}
_SDH = {"sdh", "cc", "hi", "hearing", "impaired", "hoh"}
_SPLIT = re.compile(r"[\s._\-\[\](){},+&]+")


@dataclass(frozen=True)
class Guess:
    language: str  # BCP 47 ("en", "pt-BR"), "und" when unknown
    forced: bool
    sdh: bool


def _words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(text.lower()) if w][:40]


def _language_of(words: list[str], *, codes: bool) -> str | None:
    """The last language named in ``words`` (2-letter codes only if ``codes``)."""
    tail = [w for w in words if w not in _FORCED and w not in _SDH and w != "default"]
    for i in range(len(tail) - 1, max(len(tail) - 4, -1), -1):
        word = tail[i]
        if i > 0 and (tail[i - 1], word) in _PAIRS:
            return _PAIRS[(tail[i - 1], word)]
        if word in _NAMES:
            return _NAMES[word]
        if codes and i == len(tail) - 1 and word in _CODES:
            return _CODES[word]
    return None


def guess_language(path: str, video_stem: str = "") -> Guess:
    """Language and flags of a subtitle file from its name and folders."""
    pure = PurePosixPath(path)
    stem = pure.stem
    if video_stem and stem.lower().startswith(video_stem.lower()) and len(stem) > len(video_stem):
        stem = stem[len(video_stem) :]  # "Movie.2019.en.srt" next to "Movie.2019.mp4": "en"
    words = _words(stem)
    flags = set(words)
    language = _language_of(words, codes=True)
    for folder in reversed(pure.parent.parts[-2:] if language is None else ()):
        language = _language_of(_words(folder), codes=False)
        if language:
            break
    return Guess(language or "und", bool(flags & _FORCED), bool(flags & _SDH))


# --- listing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubtitleTrack:
    index: int  # position in the sorted list: stable for a torrent
    file_index: int  # the file's index in the torrent
    path: str
    size: int
    format: str  # srt | vtt | ass | ssa
    language: str  # BCP 47, "und" when unknown
    label: str
    forced: bool = False
    sdh: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "label": self.label,
            "language": self.language,
            "format": self.format,
            "forced": self.forced,
            "sdh": self.sdh,
            "name": PurePosixPath(self.path).name,
            "size_bytes": self.size,
            "path": f"subtitles/{self.index}.vtt",
        }


def _label(guess: Guess, path: str, video_stem: str) -> str:
    if guess.language != "und":
        base = LANGUAGE_NAMES.get(guess.language) or guess.language
    else:
        stem = PurePosixPath(path).stem
        base = stem if stem.lower() != video_stem.lower() and len(stem) <= 40 else "Subtitles"
    flags = [name for name, on in (("SDH", guess.sdh), ("forced", guess.forced)) if on]
    return f"{base} ({', '.join(flags)})" if flags else base


def _numbered(label: str, seen: dict[str, int]) -> str:
    """``label``, or "``label`` 2", "3"... when the list already has it (``seen`` counts)."""
    seen[label] = seen.get(label, 0) + 1
    return label if seen[label] == 1 else f"{label} {seen[label]}"


def subtitle_files(meta: TorrentMeta, main: FileEntry) -> list[SubtitleTrack]:
    """Every .srt/.vtt/.ass/.ssa of the torrent up to 5 MB, by language (unknown last),
    then plain before SDH before forced, then path; at most ``MAX_TRACKS``."""
    video_stem = PurePosixPath(main.path).stem
    root = meta.name + "/"
    found: list[tuple[tuple[object, ...], FileEntry, str, Guess]] = []
    for entry in meta.files:
        fmt = SUBTITLE_FORMATS.get(PurePosixPath(entry.path).suffix.lower())
        if fmt is None or not 0 < entry.size <= MAX_INPUT_BYTES or entry.index == main.index:
            continue
        inner = entry.path[len(root) :] if entry.path.startswith(root) else entry.path
        guess = guess_language(inner, video_stem)
        name = LANGUAGE_NAMES.get(guess.language, guess.language)
        key = (guess.language == "und", name.lower(), guess.forced, guess.sdh, inner.lower())
        found.append((key, entry, fmt, guess))
    found.sort(key=lambda item: item[0])
    tracks: list[SubtitleTrack] = []
    seen: dict[str, int] = {}
    for index, (_, entry, fmt, guess) in enumerate(found[:MAX_TRACKS]):
        label = _numbered(_label(guess, entry.path, video_stem), seen)
        tracks.append(
            SubtitleTrack(index, entry.index, entry.path, entry.size, fmt, guess.language,
                          label, guess.forced, guess.sdh)
        )  # fmt: skip
    return tracks


@dataclass(frozen=True)
class EmbeddedTrack:
    index: int  # after the files' indexes
    inner: InnerTrack
    language: str  # BCP 47, "und" when unknown
    label: str

    def as_json(self) -> dict[str, Any]:
        inner = self.inner
        return {
            "index": self.index,
            "label": self.label,
            "language": self.language,
            "format": inner.codec,
            "forced": inner.forced,
            "sdh": inner.sdh,
            "name": inner.name or f"Track {self.index + 1}",
            "size_bytes": inner.text_bytes,
            "path": f"subtitles/{self.index}.vtt",
            "embedded": True,
            "window_seconds": inner.window_seconds,
        }


def embedded_labels(tracks: list[InnerTrack], first_index: int) -> list[EmbeddedTrack]:
    """Index, BCP 47 language and a distinct label ("English (embedded)") for each track."""
    out: list[EmbeddedTrack] = []
    seen: dict[str, int] = {}
    for n, inner in enumerate(tracks):
        language = _bcp47(inner.language)
        base = LANGUAGE_NAMES.get(language) or "Subtitles"
        flags = [name for name, on in (("SDH", inner.sdh), ("forced", inner.forced)) if on]
        label = _numbered(f"{base} ({', '.join([*flags, 'embedded'])})", seen)
        out.append(EmbeddedTrack(first_index + n, inner, language, label))
    return out


def _bcp47(code: str) -> str:
    """A container's language code ("eng", "pt-BR", "es-419") as this module's BCP 47."""
    if code in LANGUAGE_NAMES:
        return code
    base, _, region = code.partition("-")
    if (base.lower(), region.lower()) in _PAIRS:
        return _PAIRS[(base.lower(), region.lower())]
    return _CODES.get(base.lower(), "und")


def list_for(torrent: ActiveTorrent, *, timeout: float = 0.0) -> list[dict[str, Any]]:
    """The ``tracks`` of ``GET /stream/<key>/subtitles`` (JSON-safe): the files, then the
    film's embedded text tracks when its index arrives within ``timeout`` seconds."""
    files = [track.as_json() for track in subtitle_files(torrent.meta, torrent.main)]
    try:
        embedded = inner_tracks(torrent, timeout=timeout)
    except StreamStalled:
        log.info("index of source %s not in yet: listing its files only", torrent.source_id)
        embedded = []
    return files + [track.as_json() for track in embedded_labels(embedded, len(files))]


# --- bytes and WebVTT ----------------------------------------------------------------------


def fetch_file_bytes(torrent: ActiveTorrent, file_index: int, *, timeout: float) -> bytes:
    """The whole of file ``file_index`` (a small one: at most 5 MB) once its pieces are
    downloaded and verified; raises :class:`StreamStalled` when they do not arrive in
    ``timeout`` seconds."""
    entry = next((f for f in torrent.meta.files if f.index == file_index), None)
    if entry is None:
        raise SubtitleNotFound(f"torrent {torrent.info_hash} has no file {file_index}")
    if entry.size > MAX_INPUT_BYTES:
        raise SubtitleError(f"{entry.path} is {entry.size} bytes, over {MAX_INPUT_BYTES}")
    return read_spans(torrent, entry, [(0, entry.size)], timeout=timeout)[0]


# --- time windows of the film's own text tracks -------------------------------------------


def parse_window(start: str | None, end: str | None) -> tuple[float, float] | None:
    """``from``/``to`` query values as a window in seconds (None when both are absent);
    raises :class:`SubtitleWindowError` for anything else than 0 <= from < to, at most
    ``MAX_WINDOW_SECONDS`` apart."""
    if start is None and end is None:
        return None
    try:
        if start is None or end is None or len(start) > 16 or len(end) > 16:
            raise ValueError
        low, high = float(start), float(end)
    except ValueError:
        raise SubtitleWindowError("from and to must both be numbers of seconds") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not 0 <= low < high:
        raise SubtitleWindowError("the window must satisfy 0 <= from < to")
    if high - low > MAX_WINDOW_SECONDS:
        raise SubtitleWindowError(f"a window spans at most {MAX_WINDOW_SECONDS:.0f} seconds")
    return low, high


class _VttCache:
    """Converted tracks by (info-hash, file index): a player asks once per track and key."""

    def __init__(self, max_chars: int = 16 * 1024 * 1024) -> None:
        self._max = max_chars
        self._items: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, int], value: str) -> None:
        with self._lock:
            self._items[key] = value
            while sum(len(v) for v in self._items.values()) > self._max and len(self._items) > 1:
                self._items.popitem(last=False)


_cache = _VttCache()


def read_vtt(
    torrent: ActiveTorrent,
    index: int,
    read_file_bytes: Callable[[int], bytes] | None = None,
    *,
    timeout: float = FETCH_TIMEOUT,
    window: tuple[float, float] | None = None,
) -> str:
    """The body of ``GET /stream/<key>/subtitles/<index>.vtt`` (``window``: an embedded
    track's ``from``/``to``, ignored for a file).

    ``read_file_bytes(file_index)`` supplies a file's bytes (default: download its pieces
    through the torrent with :func:`fetch_file_bytes`, waiting up to ``timeout`` seconds).
    Raises :class:`SubtitleNotFound`, :class:`SubtitleError` or :class:`StreamStalled`."""
    tracks = subtitle_files(torrent.meta, torrent.main)
    if index >= len(tracks):
        embedded = inner_tracks(torrent, timeout=timeout)
        if index < len(tracks) + len(embedded):
            if window is None:
                raise SubtitleWindowError(
                    "an embedded track is served by time window: add ?from=<s>&to=<e>",
                    code="window_required",
                )
            return window_vtt(torrent, embedded[index - len(tracks)], window, timeout)
        count = len(tracks) + len(embedded)
        raise SubtitleNotFound(
            f"source {torrent.source_id} has no subtitle track {index} ({count} tracks)"
        )
    if index < 0:
        raise SubtitleNotFound(f"source {torrent.source_id} has no subtitle track {index}")
    track = tracks[index]
    key = (torrent.info_hash, track.file_index)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if read_file_bytes is None:
        data = fetch_file_bytes(torrent, track.file_index, timeout=timeout)
    else:
        data = read_file_bytes(track.file_index)
    try:
        vtt = to_webvtt(data, track.format)
    except SubtitleError as exc:
        raise SubtitleError(f"{track.path}: {exc}") from exc
    _cache.put(key, vtt)
    return vtt


def http_error(exc: BaseException) -> tuple[int, str] | None:
    """Status and error code for the subtitle routes' own failures (None: not one of them)."""
    if isinstance(exc, SubtitleNotFound):
        return 404, "subtitle_not_found"
    if isinstance(exc, SubtitleWindowError):
        return 400, exc.code
    if isinstance(exc, SubtitleError):
        return 422, "subtitle_unreadable"
    if isinstance(exc, StreamStalled):
        return 504, "subtitle_timeout"
    return None
