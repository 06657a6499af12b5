"""``miauflix worker``: serve the scheduled deployments against a real Prefect server.

The production counterpart of the demo's runner (:mod:`miauflix.deployments`). Start as
many as you like, on as many machines, all pointed at one ``PREFECT_API_URL``:

1. the worker checks that the Prefect API answers (a clear error naming the URL if not);
2. it makes sure, idempotently, that the server has what safe multi-worker runs need:
   the global concurrency limit ``miauflix-warehouse`` (limit 1) that every flow writing the
   warehouse holds (:mod:`flows.warehouse_slot`), and the automation that marks a flow run
   ``Crashed`` once its heartbeats stop (Prefect's documented zombie-run detection: a
   proactive trigger on missing ``prefect.flow-run.heartbeat`` events);
3. it serves the deployments of :mod:`flows.deployments` (same schedules) in a child
   process run under :mod:`miauflix.childguard`, with flow-run heartbeats on, until SIGTERM
   or SIGINT. Flow runs are that child's children: none outlives the worker, even when
   the worker itself is SIGKILLed.

Several workers register the same deployments; Prefect hands each flow run to exactly one
of them (a run can enter PENDING only once). Schedules are not paused when a worker stops,
since the others go on serving them.

``python -m miauflix.worker`` is the runner process itself (started by the worker).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import get_current_settings

from core.errors import MiauflixError
from core.settings import Settings, load_settings
from flows.deployments import build_deployments, serve_deployments
from flows.warehouse_slot import WAREHOUSE_LIMIT
from miauflix.logs import configure_logging
from miauflix.private_files import PRIVATE_UMASK
from miauflix.processes import ProcessError, Supervisor, stop_on_signals

ZOMBIE_AUTOMATION = "miauflix: crash flow runs whose heartbeats stopped"
MIN_HEARTBEAT = 30  # Prefect refuses PREFECT_FLOWS_HEARTBEAT_FREQUENCY below 30 s
MAX_SECONDS = 86_400  # a day: longer than any sensible heartbeat, window or wait
TERMINAL_EVENTS = frozenset(
    f"prefect.flow-run.{state}" for state in ("Completed", "Failed", "Cancelled", "Crashed")
)
HEARTBEAT_EVENT = "prefect.flow-run.heartbeat"


class WorkerError(MiauflixError):
    """The worker cannot start: no Prefect API, or one that refuses what it needs."""


def prefect_api_url() -> str:
    """``PREFECT_API_URL`` (environment or Prefect profile); raises when unset."""
    url = get_current_settings().api.url
    if not url:
        raise WorkerError(
            "PREFECT_API_URL is not set: point it at the Prefect server's API, e.g. "
            "PREFECT_API_URL=http://prefect:4200/api (workers need a real server)"
        )
    return str(url).rstrip("/")


def shown(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=f"***@{netloc}"))


def wait_for_api(url: str, wait: float) -> None:
    """Poll ``url``/health for up to ``wait`` seconds; raise :class:`WorkerError` naming it."""
    deadline = time.monotonic() + wait
    problem = "no answer"
    while True:
        try:
            answer = httpx.get(f"{url}/health", timeout=5.0)
            if answer.status_code == 200:
                return
            problem = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise WorkerError(
                f"the Prefect API at {shown(url)} is not reachable ({problem}); check "
                "PREFECT_API_URL and that the Prefect server runs"
            )
        time.sleep(1.0)


def ensure_warehouse_limit(client: SyncPrefectClient, name: str = WAREHOUSE_LIMIT) -> None:
    """Create the global limit ``name`` with one slot, or set an existing one back to 1."""
    try:
        existing = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        new = GlobalConcurrencyLimitCreate(name=name, limit=1)
        with contextlib.suppress(ObjectAlreadyExists):  # another worker created it meanwhile
            client.create_global_concurrency_limit(new)
        return
    if existing.limit != 1 or not existing.active:
        client.update_global_concurrency_limit(
            name, GlobalConcurrencyLimitUpdate(limit=1, active=True)
        )


def zombie_automation(crash_after: float) -> AutomationCore:
    """Crash a flow run that sent a heartbeat, then neither another one nor a terminal
    state within ``crash_after`` seconds."""
    return AutomationCore(
        name=ZOMBIE_AUTOMATION,
        description="Marks flow runs Crashed when their process is gone (miauflix worker)",
        trigger=EventTrigger(
            after={HEARTBEAT_EVENT},
            expect={HEARTBEAT_EVENT, *TERMINAL_EVENTS},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=crash_after),
        ),
        actions=[
            ChangeFlowRunState(
                name="Crashed",
                state=StateType.CRASHED,
                force=False,
                message=f"no heartbeat for {crash_after:.0f} s: the flow run's process is gone",
            )
        ],
    )


def ensure_zombie_automation(client: SyncPrefectClient, crash_after: float) -> None:
    """One enabled automation named :data:`ZOMBIE_AUTOMATION` with this window."""
    wanted = zombie_automation(crash_after)
    found = sorted(client.read_automations_by_name(ZOMBIE_AUTOMATION), key=lambda a: str(a.id))
    keep = next((a for a in found if _same(a, wanted)), None)
    for extra in found:  # another window, or a duplicate from two workers starting at once
        if extra is not keep:
            client.delete_automation(extra.id)
    if keep is None:
        client.create_automation(wanted)


def _same(automation: AutomationCore, wanted: AutomationCore) -> bool:
    """Same trigger (ids aside), actions and switch."""

    def shape(a: AutomationCore) -> tuple[object, ...]:
        actions = [action.model_dump(mode="json") for action in a.actions]
        return (a.enabled, a.trigger.model_dump(mode="json", exclude={"id"}), actions)

    return shape(automation) == shape(wanted)


def check_options(heartbeat: int, crash_after: float, wait: float) -> None:
    """Refuse timings that would crash healthy runs or never end (NaN, infinity)."""
    if not MIN_HEARTBEAT <= heartbeat <= MAX_SECONDS:
        raise WorkerError(
            f"--heartbeat must be at least {MIN_HEARTBEAT} s (Prefect's minimum) "
            f"and at most {MAX_SECONDS} s"
        )
    if not heartbeat + 10 <= crash_after <= MAX_SECONDS:  # NaN fails both comparisons
        raise WorkerError(
            f"--crash-after ({crash_after} s) must exceed the heartbeat ({heartbeat} s) "
            f"by at least 10 s, or healthy runs would be marked crashed (at most {MAX_SECONDS})"
        )
    if not 0 <= wait <= MAX_SECONDS:
        raise WorkerError(f"--wait must be between 0 and {MAX_SECONDS} s, got {wait}")


def prepare_server(wait: float, crash_after: float) -> str:
    """Check the API, ensure the limit and the automation; return the API URL."""
    url = prefect_api_url()
    wait_for_api(url, wait)
    with get_client(sync_client=True) as client:
        ensure_warehouse_limit(client)
        ensure_zombie_automation(client, crash_after)
    return url


def run_worker(settings: Settings, *, heartbeat: int, crash_after: float, wait: float) -> int:
    """``miauflix worker``: prepare the server, then supervise the runner until stopped."""
    check_options(heartbeat, crash_after, wait)
    url = prepare_server(wait, crash_after)
    env = dict(os.environ)
    env.update(
        PREFECT_API_URL=url,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY=str(heartbeat),
        MIAUFLIX_DATA_DIR=str(settings.data_dir.resolve()),
    )
    name = f"miauflix-worker-{socket.gethostname()}-{os.getpid()}"
    print(f"miauflix worker {name}: serving the deployments against {shown(url)}", flush=True)
    sup = Supervisor()
    with stop_on_signals():
        try:
            sup.start("runner", [sys.executable, "-m", "miauflix.worker", name], env, quiet=False)
            while True:
                time.sleep(1.0)
                sup.check_alive()
        except KeyboardInterrupt:  # SIGINT, or SIGTERM/SIGHUP via stop_on_signals
            return 0
        except ProcessError as exc:
            print(f"miauflix worker: {exc}", file=sys.stderr)
            return 1
        finally:
            sup.stop_all()


def serve(name: str) -> None:
    """The runner process: every deployment, one flow run at a time, heartbeats on."""
    os.umask(PRIVATE_UMASK)  # inherited by the flow-run processes
    configure_logging(load_settings(), "flows")
    heartbeat = get_current_settings().flows.heartbeat_frequency
    serve_deployments(
        build_deployments(module_entrypoints=True),
        pause_on_shutdown=False,
        name=name,
        heartbeat_seconds=heartbeat,
    )


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else f"miauflix-worker-{socket.gethostname()}")
