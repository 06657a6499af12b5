"""``miauflix keys rotate``: a new master secret, everything re-encrypted, no reader downtime.

Steps (each safe to crash after; re-running finishes the job):

1. Write the new master into ``secret.keys.d/<kid>.key`` and keep the old one there too, so
   any :class:`~core.crypto.Keyring` that meets a new key id finds it on reload.
2. Atomically replace ``secret.key`` with the new master (temp file + ``os.replace``).
3. ``catalog.sqlite``: copy it, re-seal every source under the new key (new lookup hash,
   new ``source_id`` derived from it, the same as the next publish would write), and swap
   the copy in with one rename, like publish; readers finish on the old file.
4. ``app.sqlite``: re-encrypt ``user_secrets`` in small transactions (WAL: readers go on).
5. ``warehouse.duckdb``: opened as a writer, which re-encrypts it under the new master's
   warehouse key (copy + atomic swap, warehouse/encryption.py); then ``analytics.duckdb``,
   when there is one, is published again so its ``source_id`` HMACs match the re-sealed
   catalog. Skipped, with the reason, while a sync holds the warehouse: that sync's first
   open re-keys it and its own snapshot uses the new key.

The old master stays in ``secret.keys.d/`` so in-flight JWTs keep verifying until they
expire, and a warehouse not yet re-keyed still opens; ``miauflix keys prune`` re-keys the
warehouse first (refusing while a sync holds it), then retires the old masters.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from core.appdb import reseal_user_secrets
from core.atomic import write_atomic
from core.catalog.reseal import reseal_catalog
from core.crypto import FieldCipher, Keyring, keyring_dir
from core.errors import MiauflixError
from core.settings import Settings
from warehouse.analytics import AnalyticsError, analytics_path, write_snapshot
from warehouse.db import WarehouseLocked, open_warehouse


class KeyRotationError(MiauflixError):
    """The keys could not be rotated (the message says which file or setting)."""


@dataclass(frozen=True)
class RotationSummary:
    old_key_id: str
    new_key_id: str
    catalog_sources: int
    app_secrets: int
    warehouse: str = "none"  # re-keyed | none (no warehouse yet) | skipped: <why>
    analytics: str = "none"  # refreshed | none (no snapshot yet) | skipped: <why>


def _write_private(path: Path, data: bytes) -> None:
    write_atomic(path, data, dir_mode=0o700)


def _keep(key_path: Path, master: bytes) -> None:
    path = keyring_dir(key_path) / f"{FieldCipher(master).key_id.hex()}.key"
    if not path.exists():
        _write_private(path, master)


def rotate_keys(settings: Settings) -> RotationSummary:
    """Rotate the master secret and re-encrypt every secret at rest under it."""
    if settings.secret_key.get_secret_value():
        raise KeyRotationError(
            "MIAUFLIX_SECRET_KEY is set in the environment: rotation writes the key file "
            f"{settings.key_path}; unset the variable (the file then holds the master)"
        )
    old = Keyring.load(settings.key_path)
    new_master = secrets.token_urlsafe(48).encode()
    new = FieldCipher(new_master)
    for master in old.masters:
        _keep(settings.key_path, master)
    _keep(settings.key_path, new_master)
    _write_private(settings.key_path, new_master)
    keyring = Keyring.load(settings.key_path)  # new first, every old one still readable
    sources = reseal_catalog(settings.catalog_path, keyring, new)
    app_secrets = reseal_user_secrets(settings.app_db_path, keyring, new)
    warehouse, analytics = _rekey_warehouse(settings, keyring)
    return RotationSummary(
        old.key_id.hex(), new.key_id.hex(), sources, app_secrets, warehouse, analytics
    )


def _rekey_warehouse(settings: Settings, keyring: Keyring) -> tuple[str, str]:
    """Open the warehouse as a writer (re-encrypting it under the current master) and
    re-publish the analysts' snapshot (its source ids change with the key)."""
    if not settings.warehouse_path.exists():
        return "none", "none"
    try:
        with open_warehouse(settings, wait=0) as con:
            if not analytics_path(settings.data_dir).exists():
                return "re-keyed", "none"
            try:
                write_snapshot(con, settings.data_dir, keyring)
            except AnalyticsError as exc:
                return "re-keyed", f"skipped: {exc}"
    except WarehouseLocked as exc:
        return f"skipped: {exc}", f"skipped: {exc}"
    return "re-keyed", "refreshed"


def prune_keys(settings: Settings) -> list[str]:
    """Delete kept masters other than the current one; returns the key ids removed."""
    current = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    if settings.warehouse_path.exists():
        try:  # a writer's open re-keys it: afterwards it needs no retired master
            open_warehouse(settings).close()
        except WarehouseLocked as exc:
            raise KeyRotationError(
                f"not pruned: the warehouse may still need a retired key and is in use ({exc})"
            ) from exc
    removed = []
    folder = keyring_dir(settings.key_path)
    for path in sorted(folder.glob("*.key")) if folder.is_dir() else []:
        if path.stem != current.key_id.hex():
            path.unlink()
            removed.append(path.stem)
    return removed
