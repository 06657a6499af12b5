"""Replace a file so that readers see the old or the new content, never a mix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, dir_mode: int = 0o700) -> Path:
    """Write ``data`` to a private temp file beside ``path``, fsync it, then rename it over
    ``path`` (the file ends up 0600, as ``mkstemp`` creates it; missing parent directories
    are created ``dir_mode``, private by default: the data directory holds secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=dir_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
