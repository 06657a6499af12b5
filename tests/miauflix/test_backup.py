"""``miauflix backup`` / ``restore``: consistent online copies, verified restores."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from miauflix.backup import BackupError, backup, restore, verify_backup
from serve.appdb import AppDB
from serve.users import authenticate
from tests.miauflix.conftest import ADMIN, ADMIN_PASSWORD, DataDir


def _emails(path: Path) -> list[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as con:
        return sorted(row[0] for row in con.execute("SELECT email FROM users"))


def test_backup_is_a_consistent_copy_taken_while_a_writer_holds_a_transaction(
    service_data: DataDir, tmp_path: Path
) -> None:
    writer = sqlite3.connect(service_data.settings.app_db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO users (email, password_hash, role, created_at) "
        "VALUES ('half@example.com', 'x', 'user', '2026-01-01')"
    )
    try:
        report = backup(service_data.settings, tmp_path / "backup")
    finally:
        writer.execute("COMMIT")
        writer.close()
    target = tmp_path / "backup"
    assert _emails(target / "app.sqlite") == [ADMIN, "viewer@example.com"]  # not half a write
    assert set(report.files) == {"app.sqlite", "catalog.sqlite", "secret.key"}
    assert (target / "secret.key").read_bytes() == service_data.settings.key_path.read_bytes()
    assert (target / "secret.key").stat().st_mode & 0o077 == 0
    assert target.stat().st_mode & 0o077 == 0
    assert verify_backup(target) == ["app.sqlite", "catalog.sqlite", "secret.key"]


def test_the_command_warns_loudly_that_the_key_file_is_needed(
    service_data: DataDir, tmp_path: Path
) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "backup", str(tmp_path / "b")],
        env=service_data.env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "WARNING" in out.stderr and str(tmp_path / "b" / "secret.key") in out.stderr
    assert "needed to read anything" in out.stderr


@pytest.mark.parametrize("where", ["non-empty", "inside the data dir", "a file"])
def test_backup_refuses_a_target_it_could_damage(
    service_data: DataDir, tmp_path: Path, where: str
) -> None:
    if where == "non-empty":
        target = tmp_path / "full"
        target.mkdir()
        (target / "precious").write_text("keep")
    elif where == "a file":
        target = tmp_path / "file"
        target.write_text("keep")
    else:
        target = service_data.path / "backup"
    with pytest.raises(BackupError):
        backup(service_data.settings, target)


def test_restore_brings_back_the_accounts_and_sets_the_replaced_files_aside(
    service_data: DataDir, tmp_path: Path
) -> None:
    backup(service_data.settings, tmp_path / "b")
    db = AppDB(service_data.settings.app_db_path)
    db.connection().execute("DELETE FROM users WHERE email = 'viewer@example.com'")
    db.close()  # leaves app.sqlite-wal behind: it must not be replayed onto the restore
    assert _emails(service_data.settings.app_db_path) == [ADMIN]

    names = restore(service_data.settings, tmp_path / "b")

    assert names == ["app.sqlite", "catalog.sqlite", "secret.key"]
    assert _emails(service_data.settings.app_db_path) == [ADMIN, "viewer@example.com"]
    assert not Path(f"{service_data.settings.app_db_path}-wal").exists()
    aside = next(service_data.path.glob("before-restore-*"))
    assert _emails(aside / "app.sqlite") == [ADMIN]
    restored = AppDB(service_data.settings.app_db_path)
    assert authenticate(restored, ADMIN, ADMIN_PASSWORD).email == ADMIN
    restored.close()


def test_restore_refuses_while_a_service_process_holds_the_files_unless_forced(
    service_data: DataDir, tmp_path: Path
) -> None:
    backup(service_data.settings, tmp_path / "b")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);c.execute('select 1').fetchall();"
         "print('open',flush=True);sys.stdin.read()",
         str(service_data.settings.app_db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(BackupError, match=str(holder.pid)):
            restore(service_data.settings, tmp_path / "b")
        assert not list(service_data.path.glob("before-restore-*"))  # nothing was touched
        assert restore(service_data.settings, tmp_path / "b", force=True)
    finally:
        holder.communicate("")


def _damage(backup_dir: Path, how: str) -> None:
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    if how == "flipped byte":
        blob = bytearray((backup_dir / "app.sqlite").read_bytes())
        blob[200] ^= 0xFF
        (backup_dir / "app.sqlite").write_bytes(bytes(blob))
    elif how == "missing file":
        (backup_dir / "catalog.sqlite").unlink()
    elif how == "path escape":
        manifest["files"]["../../evil"] = manifest["files"].pop("catalog.sqlite")
    elif how == "absolute path":
        manifest["files"]["/etc/passwd"] = {"bytes": 1, "sha256": "0"}
    elif how == "unknown format":
        manifest["format"] = 99
    elif how == "no key":
        manifest["files"].pop("secret.key")
        (backup_dir / "secret.key").unlink()
    elif how == "symlinked file":
        (backup_dir / "catalog.sqlite").rename(backup_dir / "real.sqlite")
        (backup_dir / "catalog.sqlite").symlink_to(backup_dir / "real.sqlite")
    elif how == "not json":
        (backup_dir / "manifest.json").write_text("{nope")
        return
    elif how == "checksummed garbage":
        (backup_dir / "app.sqlite").write_bytes(b"not a database" * 100)
        import hashlib

        data = (backup_dir / "app.sqlite").read_bytes()
        manifest["files"]["app.sqlite"] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    (backup_dir / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "how",
    ["flipped byte", "missing file", "path escape", "absolute path", "unknown format",
     "no key", "not json", "checksummed garbage", "symlinked file"],
)  # fmt: skip
def test_a_damaged_or_hostile_backup_is_refused_before_anything_changes(
    service_data: DataDir, tmp_path: Path, how: str
) -> None:
    backup(service_data.settings, tmp_path / "b")
    _damage(tmp_path / "b", how)
    before = service_data.settings.app_db_path.read_bytes()
    with pytest.raises(BackupError):
        restore(service_data.settings, tmp_path / "b")
    assert service_data.settings.app_db_path.read_bytes() == before
    assert not list(service_data.path.glob("before-restore-*"))


def test_restore_command_reports_what_it_verified(service_data: DataDir, tmp_path: Path) -> None:
    backup(service_data.settings, tmp_path / "b")
    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "restore", str(tmp_path / "b")],
        env=service_data.env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "restored and verified app.sqlite, catalog.sqlite, secret.key" in out.stdout
