"""Subtitle bytes (SRT, WebVTT, ASS/SSA in any common charset) turned into safe WebVTT text.

Pure functions, no I/O. Everything is bounded: the input size, the line and cue lengths,
the number of cues, the nesting of tags and the size of the output; input that cannot be
read as subtitles raises :class:`SubtitleError` with the reason, never anything else.

* Charset: a UTF-8/UTF-16/UTF-32 byte-order mark wins; then strict UTF-8; then UTF-16
  without a mark (NUL bytes on every other position); then charset-normalizer, with
  Windows-1252 preferred for text that is mostly ASCII letters (short Western text is
  where detectors guess wrong); Windows-1252, else Latin-1, when nothing fits.
* SRT: cue numbers dropped, ``,`` → ``.``, missing blank lines, CRLF and stray BOMs
  tolerated; ``<i> <b> <u>`` kept (balanced), ``<font>`` and every other tag dropped,
  ``{\\an8}`` moves the cue to the top.
* WebVTT: passed through once its ``WEBVTT`` header checks (newlines normalized).
* ASS/SSA: ``Dialogue`` lines read with the ``Format`` order of ``[Events]``; override
  blocks ``{\\...}`` dropped (italic/bold/underline toggles kept as tags, drawings
  removed), ``\\N`` → new line, ``\\h`` → no-break space; cues sorted by start time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes

from engine.errors import SubtitleError

MAX_INPUT_BYTES = 5 * 1024 * 1024
MAX_CUES = 50_000
MAX_LINE_CHARS = 1_000
MAX_CUE_LINES = 12
MAX_TAG_DEPTH = 8
MAX_OUTPUT_CHARS = 16 * 1024 * 1024
MAX_TIME_MS = 100 * 3600 * 1000  # 100 hours: anything later is a broken timestamp

FORMATS = ("srt", "vtt", "ass", "ssa")

# --- charsets ------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CJK = {"big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jisx0213",
        "euc_jp", "euc_kr", "gb18030", "gb2312", "gbk", "hz", "iso2022_jp", "iso2022_kr",
        "johab", "shift_jis", "shift_jis_2004", "shift_jisx0213"}  # fmt: skip
_ASCII_ALNUM = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123))
_NOT_ALNUM = bytes(b for b in range(256) if b not in _ASCII_ALNUM)
_LOW = bytes(range(0x80))


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


_IN_WORD_OK = "\u2019\u2018\u00b7"  # curly apostrophes and the middle dot sit inside words


def implausible_chars(text: str) -> int:
    """How many non-ASCII characters look like a wrong charset: a symbol or modifier next
    to a letter, punctuation inside a word, or a case flip inside a word ("żQué", "mo¿e")."""
    count = 0
    for match in re.finditer(r"[^\x00-\x7f]", text):
        i = match.start()
        c = match.group()
        p = text[i - 1] if i else " "
        n = text[i + 1] if i + 1 < len(text) else " "
        category = unicodedata.category(c)
        if category[0] == "L" and category != "Lm":
            if (p.isalpha() and p.islower() and c.isupper()) or (c.islower() and n.isupper()):
                count += 1
        elif category[0] == "P":
            if p.isalpha() and n.isalpha() and c not in _IN_WORD_OK:
                count += 1
        elif category not in {"Zs", "Sc", "Sm"} and (p.isalpha() or n.isalpha()):
            count += 1
    return count


def _legacy_charset(data: bytes) -> str:
    """A single- or multi-byte legacy charset for bytes that are not UTF-8.

    charset-normalizer decides for text that is mostly non-ASCII (Cyrillic, Greek, CJK...);
    for mostly-ASCII Latin text, where it often picks a Central European code page for
    Spanish or French, the candidate with the fewest implausible characters wins, and
    Windows-1252 wins a tie (so Polish is told apart; Czech or Hungarian in Windows-1250,
    whose letters also read as letters in 1252, are not: short-text language guesses are
    too unreliable to break that tie)."""
    high = len(data.translate(None, _LOW))
    ascii_alnum = len(data.translate(None, _NOT_ALNUM))
    matches = list(from_bytes(data))
    best = matches[0].encoding if matches else "cp1252"
    if high / max(high + ascii_alnum, 1) >= 0.3:
        return best
    order = ["cp1252", "cp1250"]
    if best not in _CJK and best not in order:
        order.append(best)
    sample = data[:262_144]
    scores: list[tuple[int, int, str]] = []
    for rank, codec in enumerate(order):
        try:
            scores.append((implausible_chars(sample.decode(codec)), rank, codec))
        except (UnicodeDecodeError, LookupError):
            continue
    return min(scores)[2] if scores else "cp1252"


def decode_text(data: bytes) -> str:
    """Subtitle bytes as text with ``\\n`` newlines and no BOM; raises :class:`SubtitleError`."""
    if len(data) > MAX_INPUT_BYTES:
        raise SubtitleError(f"subtitle file of {len(data)} bytes is over {MAX_INPUT_BYTES}")
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec, errors="replace")
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            wide = _utf16_without_bom(data)
            codec = wide or _legacy_charset(data)
            try:
                text = data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")  # never fails: one char per byte
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    controls = sum(text.count(chr(c)) for c in (*range(0, 9), 11, 12, *range(14, 32), 127))
    if controls > max(8, len(text) // 100):
        raise SubtitleError(f"not a text file ({controls} control characters)")
    return text.replace("\x00", "")


# --- cues ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # WebVTT cue text: escaped, tags balanced, no blank line
    settings: str = ""  # WebVTT cue settings, e.g. "line:0"


def _ms(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> int:
    frac = int((fraction or "0")[:3].ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + frac


def vtt_timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


_ALLOWED_TAGS = {"i", "b", "u"}
_TAG = re.compile(r"<(/?)([a-zA-Z]{1,10})\b[^<>]{0,200}>")
ASS_OVERRIDE = re.compile(r"\{[^{}]{0,500}\}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean_markup(text: str) -> str:
    """SRT-style cue text as WebVTT: ``<i> <b> <u>`` kept and balanced (at most
    ``MAX_TAG_DEPTH`` deep), every other tag dropped, the rest escaped."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for match in _TAG.finditer(text):
        out.append(_escape(text[pos : match.start()]))
        pos = match.end()
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _ALLOWED_TAGS:
            continue
        if not closing:
            if len(stack) < MAX_TAG_DEPTH:
                stack.append(name)
                out.append(f"<{name}>")
        elif name in stack:
            while stack:
                top = stack.pop()
                out.append(f"</{top}>")
                if top == name:
                    break
    out.append(_escape(text[pos:]))
    out.extend(f"</{name}>" for name in reversed(stack))
    return "".join(out)


def cue_lines_text(lines: list[str]) -> str:
    """SRT-style cue lines (with <i>/<b>/<u>/<font> markup) as WebVTT cue text."""
    kept = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + "…"
        kept.append(line)
        if len(kept) == MAX_CUE_LINES:
            break
    return clean_markup("\n".join(kept))


def _top_setting(text: str) -> str:
    found = re.search(r"\\an?(\d{1,2})", text[:200])
    if found and found.group(1) in {"7", "8", "9"} and "\\an" in found.group(0):
        return "line:0"
    if found and found.group(1) in {"5", "6", "7"} and "\\an" not in found.group(0):
        return "line:0"  # SSA's legacy \a: 5-7 are the top row
    return ""


def _add(cues: list[Cue], start: int, end: int, text: str, settings: str = "") -> None:
    if not text or not 0 <= start < end or end > MAX_TIME_MS:
        return
    if len(cues) >= MAX_CUES:
        raise SubtitleError(f"more than {MAX_CUES} cues")
    cues.append(Cue(start, end, text, settings))


# --- SRT -----------------------------------------------------------------------------------

_TIME = r"(?:(\d{1,5}):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?"
_SRT_TIMING = re.compile(rf"[ \t]{{0,20}}{_TIME}[ \t]{{0,20}}-->[ \t]{{0,20}}{_TIME}")


def parse_srt(text: str) -> list[Cue]:
    cues: list[Cue] = []
    timing: tuple[int, int] | None = None
    lines: list[str] = []
    settings = ""

    def close() -> None:
        if timing is not None:
            _add(cues, timing[0], timing[1], cue_lines_text(lines), settings)

    for raw in text.split("\n"):
        line = raw[: MAX_LINE_CHARS * 4]
        match = _SRT_TIMING.match(line) if "-->" in line[:80] else None
        if match:
            if timing is not None and lines and lines[-1].strip().isdigit():
                lines.pop()  # the next cue's number, with no blank line before it
            close()
            g = match.groups()
            timing = (_ms(g[0], g[1], g[2], g[3]), _ms(g[4], g[5], g[6], g[7]))
            lines, settings = [], ""
        elif "-->" in line[:80]:
            close()  # an unreadable timing line (negative, garbled): its cue is skipped
            timing, lines = None, []
        elif not line.strip():
            close()
            timing, lines = None, []
        elif timing is not None:
            if not lines:
                settings = _top_setting(line)
            lines.append(ASS_OVERRIDE.sub("", line))
    close()
    return sorted(cues, key=lambda c: c.start_ms)


# --- ASS / SSA -----------------------------------------------------------------------------

_ASS_TIME = re.compile(r"\s{0,20}(\d{1,5}):(\d{1,2}):(\d{1,2})(?:[.:](\d{1,3}))?\s{0,20}$")
_DEFAULT_FORMAT = ["layer", "start", "end", "style", "name", "marginl", "marginr", "marginv",
                   "effect", "text"]  # fmt: skip
_TOGGLES = re.compile(r"\\([ibu])([01])(?![0-9])")
_DRAWING = re.compile(r"\\p(\d{1,3})")


def _ass_time(value: str) -> int | None:
    match = _ASS_TIME.match(value)
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if fraction is not None and len(fraction) == 2:
        fraction += "0"  # centiseconds
    return _ms(hours, minutes, seconds, fraction)


def ass_cue_text(raw: str) -> str:
    """ASS event text as WebVTT cue text."""
    out: list[str] = []
    drawing = False
    for part in re.split(r"(\{[^{}]{0,500}\})", raw[: MAX_LINE_CHARS * 4]):
        if part.startswith("{") and part.endswith("}"):
            for tag, on in _TOGGLES.findall(part):
                out.append(f"<{tag}>" if on == "1" else f"</{tag}>")
            for level in _DRAWING.findall(part):
                drawing = int(level) > 0
            continue
        if not drawing:
            out.append(part.replace("\\N", "\n").replace("\\n", " ").replace("\\h", "\u00a0"))
    return cue_lines_text("".join(out).split("\n"))


def parse_ass(text: str) -> list[Cue]:
    cues: list[Cue] = []
    section = ""
    fields = list(_DEFAULT_FORMAT)
    seen: set[tuple[int, int, str]] = set()
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            continue
        if section != "events" or ":" not in line[:20]:
            continue
        kind, _, rest = line.partition(":")
        kind = kind.strip().lower()
        if kind == "format":
            names = [f.strip().lower() for f in rest.split(",")][:30]
            if "start" in names and "end" in names and names[-1] == "text":
                fields = names
            continue
        if kind != "dialogue":
            continue
        values = dict(zip(fields, rest.split(",", len(fields) - 1), strict=False))
        start = _ass_time(values.get("start", ""))
        end = _ass_time(values.get("end", ""))
        if start is None or end is None:
            continue
        body = values.get("text", "")
        cue_text = ass_cue_text(body)
        if (start, end, cue_text) in seen:
            continue  # the same line drawn twice (outline layer + text layer)
        seen.add((start, end, cue_text))
        _add(cues, start, end, cue_text, _top_setting(body))
    return sorted(cues, key=lambda c: c.start_ms)


# --- WebVTT --------------------------------------------------------------------------------

_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t][^\n]*)?(?:\n|$)")


def render(cues: list[Cue]) -> str:
    parts = ["WEBVTT\n"]
    size = len(parts[0])
    for cue in cues:
        settings = f" {cue.settings}" if cue.settings else ""
        block = (
            f"\n{vtt_timestamp(cue.start_ms)} --> {vtt_timestamp(cue.end_ms)}{settings}\n"
            f"{cue.text}\n"
        )
        size += len(block)
        if size > MAX_OUTPUT_CHARS:
            raise SubtitleError(f"the WebVTT would be over {MAX_OUTPUT_CHARS} characters")
        parts.append(block)
    return "".join(parts)


def sniff(text: str, kind: str) -> str:
    """The format the text really has (files are often misnamed), else ``kind``."""
    head = text.lstrip()[:4096]
    if _VTT_HEADER.match(head):
        return "vtt"
    lowered = head.lower()
    if "[script info]" in lowered or "[events]" in lowered:
        return "ass"
    if _SRT_TIMING.search(head):
        return "srt"
    return kind


def to_webvtt(data: bytes, kind: str) -> str:
    """``data`` (a subtitle file of format ``kind``: srt, vtt, ass or ssa) as WebVTT text.

    Raises :class:`SubtitleError` when it cannot be read (not text, too large, no cue)."""
    if kind not in FORMATS:
        raise SubtitleError(f"unknown subtitle format {kind!r} (known: {', '.join(FORMATS)})")
    text = decode_text(data)
    real = sniff(text, kind)
    if real == "vtt":
        body = text.lstrip()
        if not _VTT_HEADER.match(body):
            raise SubtitleError("a .vtt file without the WEBVTT header")
        return body if body.endswith("\n") else body + "\n"
    cues = parse_ass(text) if real in {"ass", "ssa"} else parse_srt(text)
    if not cues:
        raise SubtitleError(f"no subtitle cue found in the {kind} file")
    return render(cues)
