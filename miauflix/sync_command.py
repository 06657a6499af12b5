"""``miauflix sync``: one pipeline run in this process, with a rich progress display.

With no ``PREFECT_API_URL`` configured, Prefect starts a temporary local API (~15 s).
Its shutdown can print event-flush noise after a successful run; that noise is silenced
here so a user only sees the outcome. The flow runs in this process, with the sandbox's
loopback transport mounted (:mod:`miauflix.loopback`).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
from typing import Any, cast

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from core.settings import Settings

_NOISY_LOGGERS = (
    "prefect.events",
    "prefect._internal",
    "prefect.server",
    "uvicorn",
    "httpx",
    "great_expectations",
)


class _ProgressHandler(logging.Handler):
    """Show the latest Prefect flow/task log line as the progress description."""

    def __init__(self, progress: Progress, task_id: Any) -> None:
        super().__init__(level=logging.INFO)
        self._progress = progress
        self._task_id = task_id

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().splitlines()[0][:100]
        self._progress.update(self._task_id, description=message)


class _DropPipelineTracebacks(logging.Filter):
    """The CLI prints a pipeline failure's own summary; Prefect's traceback of it is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        from core.errors import MiauflixError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, MiauflixError):
            return False
        return "PipelineBlocked(" not in record.getMessage()


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The temporary API takes ~15 s to start on 2 idle cores; give a loaded machine room.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger("prefect.flow_runs").addFilter(_DropPipelineTracebacks())


def _apply_settings_to_env(settings: Settings) -> None:
    """The flow reads settings from the environment: pass CLI overrides down to it."""
    os.environ["MIAUFLIX_DATA_DIR"] = str(settings.data_dir)


def mute_finalization_noise() -> None:
    """Point stderr at /dev/null once every exit handler has run (atexit runs handlers in
    reverse order of registration: call this before Prefect registers its own).

    Prefect keeps a failed run's exception (its traceback pins the frames) and each task's
    context (with its parameters) in memory until the interpreter exits, and with them the
    DuckDB connections that were local variables or parameters there. DuckDB's bindings
    (nanobind) list such survivors during interpreter finalization as ~100 lines of
    "nanobind: leaked ..." that say nothing about the sync, and DuckDB offers no switch to
    turn that report off. The summary is printed before; only finalization is muted.
    """

    def _mute() -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    atexit.register(_mute)


def run_sync(settings: Settings, scope: str = "all", quiet: bool = False) -> int:
    """Run the pipeline once; print a summary; return the process exit code."""
    mute_finalization_noise()
    _quiet_prefect()
    _apply_settings_to_env(settings)
    if scope == "trakt":
        return run_trakt_sync(settings)
    from flows.pipeline import PipelineBlocked, Scope, sync_flow
    from miauflix.loopback import install_loopback_transport

    install_loopback_transport()

    console = Console(stderr=True)
    started = time.perf_counter()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]sync[/bold] {task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )
    handler: logging.Handler | None = None
    try:
        with progress:
            task_id = progress.add_task("starting Prefect…", total=None)
            handler = _ProgressHandler(progress, task_id)
            for name in ("prefect.flow_runs", "prefect.task_runs"):
                logging.getLogger(name).addHandler(handler)
            result = sync_flow(scope=cast(Scope, scope))
    except PipelineBlocked as exc:
        console.print(f"[red]sync blocked[/red]: {exc}")
        return 2
    except Exception as exc:  # the flow failed: report and exit non-zero
        console.print(f"[red]sync failed[/red]: {type(exc).__name__}: {exc}")
        return 1
    finally:
        if handler is not None:
            for name in ("prefect.flow_runs", "prefect.task_runs"):
                logging.getLogger(name).removeHandler(handler)
    elapsed = time.perf_counter() - started
    publish = result.get("publish", {})
    counts = publish.get("counts", {})
    outcome = (
        f"catalog: {', '.join(f'{k}={v}' for k, v in counts.items())}"
        if counts
        else f"catalog unchanged ({publish.get('skipped', 'not published')})"
    )
    print(
        f"sync {result['status']} in {elapsed:.1f}s (run {result['run_id']}); {outcome}",
        file=sys.stdout,
    )
    return 0 if result["status"] == "succeeded" else 1


def run_trakt_sync(settings: Settings) -> int:
    """``sync --scope trakt``: the Trakt ingest once for every linked user (a Prefect flow
    run, like the scheduled ``trakt`` deployment); non-zero when a user's ingest failed."""
    from flows.trakt import trakt_flow

    started = time.perf_counter()
    try:
        result = trakt_flow()
    except Exception as exc:  # the flow failed: report and exit non-zero
        print(f"trakt sync failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    failed = result.get("failed_users", {})
    print(
        f"trakt sync in {time.perf_counter() - started:.1f}s (run {result['run_id']}):"
        f" {result['users']} linked users, {len(failed)} failed,"
        f" {result['merged']} progress rows merged, {result['quarantined']} quarantined",
        file=sys.stdout,
    )
    return 1 if failed else 0
