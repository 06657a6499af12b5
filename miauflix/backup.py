"""``miauflix backup DIR`` / ``miauflix restore DIR``: consistent online copies.

A backup holds ``app.sqlite`` and ``catalog.sqlite`` copied with SQLite's online backup API
(a consistent snapshot while the API keeps writing), the master key file and the retired
keys (``secret.key``, ``secret.keys.d/``), and ``manifest.json`` (size and SHA-256 of each
file). The warehouse is not copied: the next sync rebuilds it from the upstreams.

The key file is what makes the rest readable: every magnet link, info hash and linked
account token in the databases is encrypted under it. A backup without it restores
accounts whose secrets can never be opened again; anyone holding both can read everything.

A restore verifies the backup (checksums, SQLite integrity, the keyring opens) before it
touches anything, refuses while a Miauflix process holds the data directory's files open
(unless ``force``), moves the files it replaces (and the stale ``-wal``/``-shm`` beside
them) into ``<data_dir>/before-restore-<time>/``, installs each file by atomic rename, and
verifies what it installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from core.crypto import KEYRING_DIR, Keyring
from core.errors import MiauflixError
from core.settings import Settings

MANIFEST = "manifest.json"
FORMAT = 1
DATABASES = ("app.sqlite", "catalog.sqlite")
KEY_FILE = "secret.key"
KEY_WARNING = (
    "WARNING: {key} is needed to read anything in this backup (magnet links, info hashes, "
    "linked accounts are encrypted under it). Keep it with the backup, private (0600), "
    "and away from anyone who must not read the catalogue and the accounts."
)


class BackupError(MiauflixError):
    """A backup or restore could not be made or did not verify."""


@dataclass(frozen=True)
class BackupReport:
    directory: Path
    files: dict[str, int]  # relative name -> bytes
    key_in_environment: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (readers and writers keep going)."""
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024, sleep=0.01)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()


def _integrity(path: Path) -> None:
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    finally:
        con.close()
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def _key_files(data_dir: Path) -> list[Path]:
    files = [data_dir / KEY_FILE] if (data_dir / KEY_FILE).is_file() else []
    keyring = data_dir / KEYRING_DIR
    if keyring.is_dir():
        files.extend(sorted(p for p in keyring.iterdir() if p.is_file()))
    return files


def backup(settings: Settings, target: Path) -> BackupReport:
    """Copy the databases and the keys of ``settings.data_dir`` into the new ``target``."""
    data_dir = settings.data_dir
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} exists and is not a directory")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new directory")
    if target.resolve() == data_dir.resolve() or data_dir.resolve() in target.resolve().parents:
        raise BackupError(f"{target} is inside the data directory {data_dir}")
    if not (data_dir / "app.sqlite").is_file():
        raise BackupError(f"{data_dir / 'app.sqlite'} does not exist: nothing to back up")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target, 0o700)
    names: list[str] = []
    for name in DATABASES:
        if (data_dir / name).is_file():
            _sqlite_copy(data_dir / name, target / name)
            names.append(name)
    for path in _key_files(data_dir):
        relative = path.relative_to(data_dir)
        (target / relative).parent.mkdir(exist_ok=True, mode=0o700)
        shutil.copy2(path, target / relative)
        os.chmod(target / relative, 0o600)
        names.append(str(relative))
    files = {name: (target / name).stat().st_size for name in names}
    manifest = {
        "format": FORMAT,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": {name: {"bytes": files[name], "sha256": _sha256(target / name)} for name in names},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return BackupReport(target, files, bool(settings.secret_key.get_secret_value()))


def _read_manifest(source: Path) -> dict[str, dict[str, object]]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST} is missing or unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST}: unknown backup format")
    files = manifest.get("files")
    if not isinstance(files, dict) or "app.sqlite" not in files:
        raise BackupError(f"{source / MANIFEST} lists no app.sqlite")
    for name in files:
        parts = Path(name).parts
        if (
            Path(name).is_absolute()
            or ".." in parts
            or not (
                name in DATABASES
                or name == KEY_FILE
                or (len(parts) == 2 and parts[0] == KEYRING_DIR)
            )
        ):
            raise BackupError(f"{source / MANIFEST} names an unexpected file {name!r}")
    return files


def verify_backup(source: Path, secret_key: str = "") -> list[str]:
    """Check every listed file's size and checksum, the databases' integrity, and that
    the keyring opens; return the file names."""
    files = _read_manifest(source)
    for name, meta in files.items():
        path = source / name
        if not path.is_file() or path.is_symlink():
            raise BackupError(f"{path} is missing from the backup")
        if path.stat().st_size != meta.get("bytes") or _sha256(path) != meta.get("sha256"):
            raise BackupError(f"{path} does not match its checksum: the backup is damaged")
        if name in DATABASES:
            _integrity(path)
    if KEY_FILE not in files and not secret_key:
        raise BackupError(
            f"{source} holds no {KEY_FILE} and MIAUFLIX_SECRET_KEY is not set: "
            "the restored secrets could never be read"
        )
    try:
        Keyring.load(source / KEY_FILE, secret_key)
    except (MiauflixError, OSError, ValueError) as exc:
        raise BackupError(f"the keys in {source} do not load: {exc}") from exc
    return list(files)


def holders(data_dir: Path) -> list[int]:
    """Processes (other than this one) holding a file of ``data_dir`` open (``/proc``)."""
    root = str(data_dir.resolve())
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            links = [
                os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")
            ]
        except OSError:
            continue
        if any(link == root or link.startswith(root + os.sep) for link in links):
            found.append(int(entry))
    return sorted(found)


def restore(settings: Settings, source: Path, *, force: bool = False) -> list[str]:
    """Install the backup in ``source`` into the data directory (see the module docstring)."""
    secret = settings.secret_key.get_secret_value()
    names = verify_backup(source, secret)
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    busy = holders(data_dir)
    if busy and not force:
        raise BackupError(
            f"processes {busy} have files of {data_dir} open: stop the service first "
            "(or pass --force to restore under it)"
        )
    aside = data_dir / f"before-restore-{time.strftime('%Y%m%dT%H%M%S')}"
    for name in names:
        target = data_dir / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for old in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            if old.exists():
                (aside / old.relative_to(data_dir)).parent.mkdir(
                    parents=True, exist_ok=True, mode=0o700
                )
                os.replace(old, aside / old.relative_to(data_dir))
        staging = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(source / name, staging)
        os.chmod(staging, 0o600)
        os.replace(staging, target)
    verify_backup_installed(data_dir, source, names)
    return names


def verify_backup_installed(data_dir: Path, source: Path, names: list[str]) -> None:
    """The installed files are byte-for-byte the backup's (checked after a restore)."""
    for name in names:
        if _sha256(data_dir / name) != _sha256(source / name):
            raise BackupError(f"{data_dir / name} differs from the backup after the restore")
