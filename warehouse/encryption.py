"""The working warehouse encrypted at rest with DuckDB's own database encryption.

DuckDB encrypts the database file, its WAL and (with ``temp_file_encryption``) its spill
files with AES-GCM. It writes encrypted files only through the OpenSSL crypto module of its
``httpfs`` extension: the ``duckdb-extension-httpfs`` wheel on PyPI ships that extension for
the pinned DuckDB, and :func:`open_encrypted` loads it from the installed package (no
download). The key is derived from a master secret with HKDF (its own purpose string), so
the key file that protects the catalog and the accounts protects the warehouse too.

After a key rotation the warehouse still opens with a retired master (the keyring keeps
them); a writer then re-encrypts it under the current one (:func:`rekey`). A plaintext
warehouse left by an older Miauflix is encrypted in place the first time a writer opens it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from core.crypto import derive_key
from warehouse.errors import WarehouseError

KEY_PURPOSE = "warehouse-duckdb-encryption"
ALIAS = "warehouse"


class WarehouseKeyError(WarehouseError):
    """No configured key opens the warehouse (wrong key file, or pruned too early)."""


def warehouse_key(master: bytes) -> str:
    """The DuckDB encryption key for ``master`` (hex, never logged)."""
    return derive_key(master, KEY_PURPOSE).hex()


def httpfs_extension() -> Path:
    """The ``httpfs`` extension binary matching the running DuckDB, from its PyPI wheel."""
    try:
        import duckdb_extension_httpfs
    except ImportError as exc:  # pragma: no cover - the lock file installs it
        raise WarehouseError(
            "duckdb-extension-httpfs is not installed: it carries the OpenSSL module DuckDB "
            "needs to write an encrypted warehouse (pip install -r requirements.lock)"
        ) from exc
    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    found = folder / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not found.is_file():
        raise WarehouseError(
            f"duckdb-extension-httpfs has no build for DuckDB {duckdb.__version__} "
            f"(looked for {found}): pin both to the same version"
        )
    return found


def sql_literal(text: str) -> str:
    """``text`` as the body of a SQL string literal, for the statements that take no bound
    parameters (ATTACH, LOAD, SET)."""
    return text.replace("'", "''")


def _session() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"LOAD '{sql_literal(str(httpfs_extension()))}'")
    con.execute("SET temp_file_encryption = true")
    return con


def _attach(
    con: duckdb.DuckDBPyConnection, path: Path, alias: str, key: str | None, read_only: bool
) -> None:
    options = []
    if key is not None:
        options.append(f"ENCRYPTION_KEY '{sql_literal(key)}'")
    if read_only:
        options.append("READ_ONLY")
    suffix = f" ({', '.join(options)})" if options else ""
    con.execute(f"ATTACH '{sql_literal(str(path))}' AS {alias}{suffix}")


def _is_plaintext(exc: duckdb.Error) -> bool:
    return "is not encrypted" in str(exc)


def _is_wrong_key(exc: duckdb.Error) -> bool:
    return "wrong encryption key" in str(exc).lower()


def open_encrypted(
    path: Path, keys: Sequence[str], *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is the encrypted warehouse at ``path``.

    ``keys`` are tried newest first. A writer that needed an older one re-encrypts the file
    under ``keys[0]`` before using it, and one that finds a plaintext file (an older
    Miauflix) encrypts it; a reader uses the file as it is. The common case costs one attach.
    Lock conflicts surface as DuckDB's ``IOException`` (the caller waits and retries).
    """
    if not keys:
        raise WarehouseKeyError("no warehouse key configured")
    path = Path(path)
    con = _session()
    try:
        opened_with = _attach_with_any(con, path, keys, read_only)
        if opened_with != keys[0] and not read_only:
            con.close()
            rekey(path, opened_with, keys[0])
            return open_encrypted(path, keys[:1], read_only=False)
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def _attach_with_any(
    con: duckdb.DuckDBPyConnection, path: Path, keys: Sequence[str], read_only: bool
) -> str | None:
    """Attach ``path`` as :data:`ALIAS` with the first key that opens it; the key used
    (``None``: the file is plaintext)."""
    for key in keys:
        try:
            _attach(con, path, ALIAS, key, read_only)
            return key
        except duckdb.Error as exc:
            if _is_wrong_key(exc):
                continue
            if _is_plaintext(exc):
                if read_only:
                    _attach(con, path, ALIAS, None, read_only)
                return None  # a writer re-encrypts it before use
            raise
    raise WarehouseKeyError(
        f"none of the {len(keys)} configured master key(s) opens {path}: "
        "is MIAUFLIX_SECRET_KEY / the key file the one this warehouse was made with?"
    )


def rekey(path: Path, old_key: str | None, new_key: str) -> None:
    """Copy the warehouse at ``path`` (``old_key``; ``None``: plaintext) into a new file
    under ``new_key`` and swap it in atomically; a crash before the swap leaves the old file.
    """
    path = Path(path)
    fresh = path.with_name(f".{path.name}.rekey")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = _session()
    try:
        _attach(con, path, "old", old_key, read_only=False)
        con.execute("CHECKPOINT old")  # folds the WAL in: no log is left to outlive the swap
        _attach(con, fresh, "new", new_key, read_only=False)
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("CHECKPOINT new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    finally:
        con.close()
    fd = os.open(fresh, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(fresh, path)
