"""One writer at a time on the warehouse, across every worker: a Prefect global concurrency
limit.

DuckDB has a single writer. On one machine the deployment runner executes one flow run at
a time; with several workers (``miauflix worker``) on one Prefect server, three scheduled
deployments could run at once, so every flow that writes the warehouse holds one slot of
the global concurrency limit :data:`WAREHOUSE_LIMIT` (limit 1, created by ``miauflix
worker``) around its warehouse work.

The slot is a lease: the holder renews it every ``0.75 * LEASE_SECONDS``; a holder that
dies (SIGKILL, a lost machine) stops renewing and the server's repossessor revokes the
lease once it expires (Prefect checks every 15 s), so a killed run frees the warehouse
within about ``LEASE_SECONDS + 15`` seconds. 60 s is the shortest lease Prefect accepts.

A lease that cannot be renewed (the server unreachable for a while) is logged and the run
goes on: DuckDB's own file lock still keeps a second writer out (it waits, then fails
cleanly), so a blip of the Prefect server never kills a sync half-way.

Without a server-side limit (``miauflix sync`` on its temporary API, ``miauflix demo``,
whose runner executes one run at a time anyway) the slot is a no-op: it is deliberately
not strict, and says so once in the run's log.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency.asyncio import concurrency as aconcurrency
from prefect.concurrency.context import ConcurrencyContext
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.logging import get_logger, get_run_logger
from prefect.runtime import flow_run

from flows.stop_signals import hold, stop_signals_kept

WAREHOUSE_LIMIT = "miauflix-warehouse"
LEASE_SECONDS = 60.0  # Prefect's minimum lease; renewed every 45 s while the holder lives


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except Exception:  # outside a run context (tests, plain calls)
        return get_logger("miauflix.warehouse_slot")


def limit_exists(name: str = WAREHOUSE_LIMIT) -> bool:
    """True when the Prefect API this process talks to has the global limit ``name``."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return False
    return True


def _lease_options() -> dict[str, Any]:
    """How both slot context managers take the limit: one slot, on a renewed lease, held by
    this flow run; a failed renewal is logged, not fatal (see the module docstring)."""
    return {
        "occupy": 1,
        "lease_duration": LEASE_SECONDS,
        "strict": True,
        "holder": _holder(),
        "raise_on_lease_renewal_failure": False,
    }


def _leases_held() -> list[UUID]:
    """The concurrency leases this run holds (Prefect records each one on the run's
    concurrency context the moment it is granted, for clean-up)."""
    context = ConcurrencyContext.get()
    return list(context.cleanup_lease_ids) if context is not None else []


def _holder() -> ConcurrencyLeaseHolder | None:
    current = flow_run.get_id()
    return ConcurrencyLeaseHolder(type="flow_run", id=UUID(current)) if current else None


@contextmanager
def warehouse_slot(name: str = WAREHOUSE_LIMIT) -> Iterator[None]:
    """Hold one slot of ``name`` for the block (waits as long as another run holds it).

    When the server has no such limit the block runs unguarded (logged at INFO). A stop
    signal inside the block ends it as the signal (see :mod:`flows.stop_signals`)."""
    run_id = flow_run.get_id()
    with stop_signals_kept():  # the wait for the slot included
        if not limit_exists(name):
            _logger().info("no global concurrency limit %r on this server: not waiting", name)
            hold(run_id, [])
            yield
            return
        _logger().info("waiting for the warehouse slot (%s)", name)
        with concurrency(name, **_lease_options()):
            _logger().info("holding the warehouse slot (%s)", name)
            hold(run_id, _leases_held())
            try:
                yield
            finally:
                hold(run_id, [])


@asynccontextmanager
async def warehouse_slot_async(name: str = WAREHOUSE_LIMIT) -> AsyncIterator[None]:
    """:func:`warehouse_slot` for async flows (a stuck stop is settled the same way)."""
    run_id = flow_run.get_id()
    async with get_client() as client:
        try:
            await client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            _logger().info("no global concurrency limit %r on this Prefect server", name)
            with stop_signals_kept():
                hold(run_id, [])
                yield
            return
    async with aconcurrency(name, **_lease_options()):
        _logger().info("holding the warehouse slot (%s)", name)
        with stop_signals_kept():
            hold(run_id, _leases_held())
            try:
                yield
            finally:
                hold(run_id, [])
