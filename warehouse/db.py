"""Small DuckDB helpers shared by the warehouse modules: the one way to open the working
warehouse (:func:`open_warehouse` / :func:`connect_warehouse`: encrypted, waiting for the
write lock), cursors that keep the warehouse as their default database, bulk writes,
latest responses.

Every process that opens ``warehouse.duckdb`` (flows, benchmarks, tests) goes through
:func:`connect_warehouse`: the file is encrypted at rest (warehouse/encryption.py, keys
derived from every kept master, newest first), a plaintext file from an older Miauflix is
encrypted and a file under a retired master re-keyed by the first writer. In one process
a second open of the same file while the first is still open returns a cursor of it (DuckDB
refuses to attach one file twice): close them in reverse order. Analysts do not open it at
all: they open ``analytics.duckdb`` (warehouse/analytics.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# pandas and pyarrow.dataset: DuckDB imports them (351 modules, ~0.3 s) on the first scan of
# a polars frame, from the main thread and from its own threads. A stop signal raised
# half-way through that import left the module's import lock held, and the next scan waited
# on it forever (a py-spy dump of a stuck flow run; see flows/stop_signals.py). Imported with
# this module, at load time, before any run, they are never left half-imported.
import duckdb
import pandas  # noqa: F401
import polars as pl
import pyarrow.dataset  # noqa: F401

from core.crypto import Keyring
from core.settings import Settings
from warehouse.encryption import open_encrypted, sql_literal, warehouse_key
from warehouse.errors import WarehouseError

_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


class WarehouseLocked(WarehouseError):
    """Another process held the warehouse's lock for longer than the sync would wait."""

    def __init__(self, path: Path, waited: float, cause: str) -> None:
        found = _HOLDER.search(cause)
        holder = f"process {found.group(2)} ({found.group(1)})" if found else "another process"
        super().__init__(
            f"{path} stayed locked by {holder} for {waited:.0f}s: close that connection "
            "(an analyst's notebook?) and run the sync again"
        )
        self.holder_pid = int(found.group(2)) if found else None


# resolved path -> (the session that attached it, opened read-only): see the module doc.
_OPEN: dict[Path, tuple[duckdb.DuckDBPyConnection, bool]] = {}
_OPEN_LOCK = threading.Lock()


def warehouse_keys(keyring: Keyring) -> list[str]:
    """The warehouse keys of every kept master, the current one first."""
    return [warehouse_key(master) for master in keyring.masters]


def open_warehouse(
    settings: Settings, *, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """The working warehouse of ``settings`` (keys from its master key file or
    ``MIAUFLIX_SECRET_KEY``; waits ``MIAUFLIX_WAREHOUSE_LOCK_WAIT`` unless told)."""
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    return connect_warehouse(
        settings.warehouse_path,
        warehouse_keys(keyring),
        read_only=read_only,
        wait=settings.warehouse_lock_wait if wait is None else wait,
    )


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor of ``con`` whose default database is ``con``'s (the encrypted
    warehouse is an attached database: a bare ``con.cursor()`` would not see its tables)."""
    row = con.execute("SELECT current_database()").fetchone()
    cur = con.cursor()
    if row is not None:
        cur.execute(f'USE "{row[0]}"')
    return cur


def _shared(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection | None:
    """A cursor of this process's open session on ``path``, if one is still open."""
    entry = _OPEN.get(path)
    if entry is None:
        return None
    session, session_read_only = entry
    try:
        session.execute("SELECT 1")
    except duckdb.Error:  # closed by its owner
        del _OPEN[path]
        return None
    if session_read_only and not read_only:
        raise WarehouseError(f"{path} is open read-only in this process: close it to write")
    return cursor(session)


def connect_warehouse(
    path: Path, keys: Sequence[str], *, read_only: bool = False, wait: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """A connection to the encrypted warehouse at ``path`` (read-write unless
    ``read_only``), ``keys`` newest first (:func:`warehouse_keys`).

    While another process holds the file's lock (a writer, or any connection when we
    write), retry with exponential backoff (0.1 s doubling to 5 s) for ``wait`` seconds,
    then raise :class:`WarehouseLocked` naming the holder when DuckDB reports it."""
    path = Path(path).resolve()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    with _OPEN_LOCK:
        shared = _shared(path, read_only)
    if shared is not None:
        return shared
    deadline = time.monotonic() + wait
    started, delay = time.monotonic(), 0.1
    while True:
        try:
            session = open_encrypted(path, keys, read_only=read_only)
        except duckdb.BinderException as exc:  # another thread attached it meanwhile
            with _OPEN_LOCK:
                shared = _shared(path, read_only)
            if shared is None or "already attached" not in str(exc):
                raise
            return shared
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseLocked(path, time.monotonic() - started, str(exc)) from exc
            time.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)
            continue
        spill = sql_literal(str(path.with_name(path.name + ".tmp")))
        session.execute(f"SET temp_directory = '{spill}'")  # beside it, not in the cwd
        with _OPEN_LOCK:
            _OPEN[path] = (session, read_only)
        return session


_LIMIT = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,3})? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")


_RENDERED = re.compile(r"^([0-9]{1,6}\.[0-9]) (KiB|MiB|GiB|TiB)$")  # current_setting's form


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    return str(row[0]) if row else ""


def _midpoint(rendered: str) -> str | None:
    """'18.8 GiB' -> '18.85 GiB' (see :func:`bounded_memory`); None if not a rendering."""
    match = _RENDERED.match(rendered)
    if match is None:
        return None
    return f"{float(match[1]) + 0.05:.2f} {match[2]}"


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """Run the block with DuckDB's ``memory_limit`` at ``limit``; restore it afterwards.

    The previous limit is set again from its rendering: ``RESET memory_limit`` resets the
    setting but, on a warehouse with the encrypted file attached (DuckDB 1.5.5), leaves the
    buffer pool at the lower limit. DuckDB renders a limit truncated to a tenth of its unit
    ('18.8 GiB' is 18.8-18.9), so the middle of that tenth is set: the rendering stays the
    same however often a limit is restored, instead of drifting down a tenth each time.
    """
    if not _LIMIT.match(limit):
        raise ValueError(f"not a memory limit: {limit!r} (e.g. '512MB')")
    previous = _memory_limit(con)
    try:  # the SET itself can fail (DuckDB cannot free enough) after taking effect
        con.execute(f"SET memory_limit = '{limit}'")
        yield
    finally:
        restore = _midpoint(previous)
        con.execute(f"SET memory_limit = '{restore}'" if restore else "RESET memory_limit")


def release_buffers(con: duckdb.DuckDBPyConnection, floor: str = "16MB") -> None:
    """Hand DuckDB's cached blocks back to the system: lowering ``memory_limit`` makes it
    evict every unpinned block at once (a scan of raw bodies leaves them cached up to the
    limit, ~100 MB per large raw table); the limit is then restored."""
    try:
        with bounded_memory(con, floor):
            pass
    except duckdb.OutOfMemoryException:
        pass  # pinned blocks exceed the floor: whatever could be evicted was


INSERT_SLICE_ROWS = 20_000
"""Rows per Arrow hand-over in :func:`insert_frame`: a mart of 100k wide rows would
otherwise be copied to Arrow whole (strings change layout) before DuckDB reads it."""


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Bulk-insert a polars frame by column name (DuckDB casts to the table's types)."""
    if frame.height == 0:
        return
    view = f"_insert_{table}"
    for part in frame.iter_slices(INSERT_SLICE_ROWS):  # bounds the Arrow copy of wide rows
        con.register(view, part.to_arrow())
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
        finally:
            con.unregister(view)


def latest_responses_sql(raw_table: str, definitive: tuple[int, ...] = (200,)) -> str:
    """The query choosing one row per request_key: the response staging uses.

    The newest *definitive* answer (``definitive`` statuses) wins; a newer failed attempt
    (status 0, 5xx, 429...) does not erase it, it only marks the row ``stale``. Without any
    definitive answer the newest attempt wins (and is quarantined as a failed fetch).
    Ties on ``fetched_at`` are broken by run_id, then payload, so the choice is stable.
    ``raw_table`` is a trusted name (callers take it from :data:`warehouse.schema.RAW_TABLES`).
    """
    statuses = ", ".join(str(int(s)) for s in definitive) or "200"
    return f"""
        SELECT request_key, entity_key, url, fetched_at, status, payload, run_id, attempts,
               newest > fetched_at AS stale
        FROM (
            SELECT *,
                   row_number() OVER (
                       PARTITION BY request_key
                       ORDER BY (status IN ({statuses})) DESC, fetched_at DESC,
                                run_id DESC, payload DESC NULLS LAST
                   ) AS rn,
                   count(*) OVER (PARTITION BY request_key) AS attempts,
                   max(fetched_at) OVER (PARTITION BY request_key) AS newest
            FROM {raw_table}
        )
        WHERE rn = 1
        ORDER BY request_key
    """


def latest_responses(
    con: duckdb.DuckDBPyConnection, raw_table: str, definitive: tuple[int, ...] = (200,)
) -> pl.DataFrame:
    """Every winning response of ``raw_table`` in one frame (:func:`latest_responses_sql`);
    staging reads them in batches instead (:mod:`warehouse.staging_responses`)."""
    table = con.sql(latest_responses_sql(raw_table, definitive)).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
