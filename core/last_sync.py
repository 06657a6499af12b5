"""``<data_dir>/last_sync.json``: the outcome of the latest pipeline run.

Written by the pipeline at the end of every run (temp file + ``os.replace``, so readers
never see half a record), read by the API for ``/api/status``: the API must not open the
DuckDB warehouse while a flow holds its write lock.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from core.atomic import write_atomic

log = logging.getLogger(__name__)

LAST_SYNC_FILE = "last_sync.json"
MAX_LAST_SYNC_BYTES = 1024 * 1024


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
