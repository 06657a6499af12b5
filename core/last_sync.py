"""The outcome of pipeline runs: ``<data_dir>/last_sync.json`` and ``sync_history.jsonl``.

``last_sync.json`` holds the latest run's record (temp file + ``os.replace``, so readers
never see half a record); the API reads it for ``/api/status``: the API must not open the
DuckDB warehouse while a flow holds its write lock.

``sync_history.jsonl`` keeps the last :data:`HISTORY_CAP` runs, one compact JSON object per
line, oldest first (what the admin sync-status page plots). :func:`record_sync_run` writes
both at the end of every run: under an advisory lock it reads the history, appends the new
entry, keeps the newest ``cap`` and replaces the file atomically, so a concurrent reader sees
the old or the new file and a crash mid-write leaves the old one. The reader still skips any
line it cannot parse (a hand-edited or torn file degrades, it never fails).

A history entry (:func:`history_entry`) is a whitelist of the run record: no URL, key or
data value goes in; the error text is truncated and scrubbed of URL credentials and key-like
query parameters. Every field is typed on the way in *and* on the way out.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.atomic import write_atomic

log = logging.getLogger(__name__)

LAST_SYNC_FILE = "last_sync.json"
HISTORY_FILE = "sync_history.jsonl"
MAX_LAST_SYNC_BYTES = 1024 * 1024
HISTORY_CAP = 500
MAX_HISTORY_BYTES = 8 * 1024 * 1024  # a reader looks at no more than the file's tail
MAX_ERROR_CHARS = 300
PHASES = ("ingest", "transform", "checks", "publish")
_MAX_SUITES = 64
_MAX_COUNTS = 32
_MAX_TEXT = 80

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:api_?key|key|access_token|token|client_secret|secret|password|sig"
    r"|signature)=)[^&#\s]*"
)


def write_last_sync(data_dir: Path, record: dict[str, Any]) -> Path:
    """Replace the record atomically; returns its path."""
    payload = json.dumps(record, default=str, indent=2).encode()
    return write_atomic(data_dir / LAST_SYNC_FILE, payload)


def read_last_sync(data_dir: Path) -> dict[str, Any] | None:
    """The latest record, or None before the first run or when the file is damaged/huge."""
    path = data_dir / LAST_SYNC_FILE
    try:
        if path.stat().st_size > MAX_LAST_SYNC_BYTES:
            log.warning("%s is larger than %d bytes; ignored", path, MAX_LAST_SYNC_BYTES)
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s does not hold a JSON object; ignored", path)
        return None
    return data


def scrub(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` without URL credentials or key-like query values, at most ``limit`` chars."""
    text = _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1***@", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_sync_run(data_dir: Path, record: dict[str, Any], *, cap: int = HISTORY_CAP) -> Path:
    """End of a run: replace ``last_sync.json`` and append the run to the history (keeping
    the newest ``cap``). The error text is scrubbed in both. Returns the history's path."""
    if isinstance(record.get("error"), str):
        record = {**record, "error": scrub(record["error"], 4000)}
    write_last_sync(data_dir, record)
    return append_sync_history(data_dir, record, cap=cap)


def append_sync_history(
    data_dir: Path, record: Mapping[str, Any], *, cap: int = HISTORY_CAP
) -> Path:
    """Add the entry for ``record`` to ``sync_history.jsonl``, trimmed to the newest ``cap``."""
    entry = history_entry(record)
    path = data_dir / HISTORY_FILE
    with _locked(data_dir):
        kept = [json.dumps(e, separators=(",", ":")) for e in _read_entries(path)]
        kept.append(json.dumps(entry, separators=(",", ":")))
        kept = kept[-max(1, cap) :]
        write_atomic(path, ("\n".join(kept) + "\n").encode())
    return path


def read_sync_history(data_dir: Path, limit: int = 100) -> list[dict[str, Any]]:
    """The last ``limit`` runs, newest first; ``[]`` before the first run. Lines that do not
    parse (torn, hand-edited) are skipped."""
    entries = list(_read_entries(data_dir / HISTORY_FILE))
    entries.reverse()
    return entries[: max(0, limit)]


def history_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    """The compact, secret-free history entry of a run record (also used to re-check every
    line read back)."""
    started, finished = _moment(record.get("started_at")), _moment(record.get("finished_at"))
    seconds = _number(record.get("seconds"))  # an entry read back; a run record has phases
    if seconds is None and started and finished:
        seconds = max(0.0, (finished - started).total_seconds())
    raw_phases = record.get("phases", record.get("seconds"))
    phases: dict[str, float] = {}
    if isinstance(raw_phases, Mapping):
        for name in PHASES:
            value = _number(raw_phases.get(name))
            if value is not None:
                phases[name] = round(value, 3)
    error = record.get("error")
    return {
        "run_id": _text(record.get("run_id")) or "",
        "scope": _text(record.get("scope")),
        "status": _text(record.get("status")) or "unknown",
        "started_at": _timestamp(started),
        "finished_at": _timestamp(finished),
        "seconds": None if seconds is None else round(seconds, 3),
        "phases": phases,
        "dq": _dq(record.get("dq")),
        "catalog": _catalog(record.get("catalog")),
        "error": scrub(error) if isinstance(error, str) and error else None,
    }


# --- internals ---------------------------------------------------------------------------------
@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """An advisory lock serialising writers of the history (readers never take it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / f".{HISTORY_FILE}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """Entries of the file, oldest first (only its last MAX_HISTORY_BYTES are read)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            start = max(0, size - MAX_HISTORY_BYTES)
            handle.seek(start)
            data = handle.read(MAX_HISTORY_BYTES)
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return
    lines = data.split(b"\n")
    if start > 0:
        lines = lines[1:]  # the first line was cut by the seek
    skipped = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(value, dict) and value.get("run_id"):
            yield history_entry(value)
        else:
            skipped += 1
    if skipped:
        log.warning("%s: %d unreadable line(s) skipped", path, skipped)


def _text(value: object, limit: int = _MAX_TEXT) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return scrub(str(value), limit)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _count(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _moment(value: object) -> datetime | None:
    """A naive UTC datetime from a datetime or an ISO-8601 string (naive means UTC, the
    project's clock convention)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _timestamp(value: object) -> str | None:
    """ISO-8601 UTC to the second, with a ``Z``."""
    moment = _moment(value)
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _dq(value: object) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    suites = []
    raw = value.get("suites")
    for suite in raw[:_MAX_SUITES] if isinstance(raw, list) else []:
        if not isinstance(suite, Mapping):
            continue
        name = _text(suite.get("name") or suite.get("suite"))
        evaluated = _count(suite.get("evaluated"))
        passed = _count(suite.get("passed"))
        if passed is None and evaluated is not None and _count(suite.get("failed")) is not None:
            passed = max(0, evaluated - (_count(suite.get("failed")) or 0))
        if name:
            suites.append(
                {
                    "name": name,
                    "success": bool(suite.get("success")),
                    "evaluated": evaluated,
                    "passed": passed,
                }
            )
    success = value.get("success")
    return {"success": success if isinstance(success, bool) else None, "suites": suites}


def _catalog(value: object) -> dict[str, Any] | None:
    """The live catalog after the run: ``{published, run_id, published_at, counts}``."""
    if not isinstance(value, Mapping):
        return None
    counts: dict[str, int] = {}
    raw = value.get("counts")
    if isinstance(raw, Mapping):
        for key, count in list(raw.items())[:_MAX_COUNTS]:
            number = _count(count)
            if number is not None:
                counts[str(key)[:_MAX_TEXT]] = number
    return {
        "published": bool(value.get("published")),
        "run_id": _text(value.get("run_id")),
        "published_at": _timestamp(value.get("published_at")),
        "counts": counts,
    }
