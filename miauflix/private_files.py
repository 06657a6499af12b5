"""Files with secrets stay private to the service user.

Every Miauflix process sets ``umask 077`` before it creates anything (so DuckDB, SQLite,
libtorrent and our own writers all create 0600 files and 0700 directories), and at start
takes group and other permissions off what already exists in the data directory (files
made by an older version, or restored by hand). Symbolic links are not followed.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from core.settings import Settings

PRIVATE_UMASK = 0o077
log = logging.getLogger("miauflix.private_files")


def tighten(directory: Path) -> int:
    """Create ``directory`` 0700 if needed; remove group/other bits from it and everything
    under it. Returns how many modes changed; files it cannot change are logged."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    changed = 0
    paths = [directory]
    for root, dirs, files in os.walk(directory):
        paths.extend(Path(root) / name for name in (*dirs, *files))
    for path in paths:
        try:
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not mode & 0o077:
                continue
            os.chmod(path, stat.S_IMODE(mode) & ~0o077)
            changed += 1
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("cannot make %s private (owned by another user?)", path)
    return changed


def make_private(settings: Settings) -> int:
    """``umask 077`` for this process and its children; tighten the data directory (and
    the engine's download directory when it lives elsewhere)."""
    os.umask(PRIVATE_UMASK)
    changed = tighten(settings.data_dir)
    download = settings.engine_download_path
    data = settings.data_dir.resolve()
    if download.exists() and data not in (download.resolve(), *download.resolve().parents):
        changed += tighten(download)
    if changed:
        log.info("made %d existing file(s) in %s private to this user", changed, settings.data_dir)
    return changed
