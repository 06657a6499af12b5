"""``miauflix demo``: the whole product on loopback with embedded defaults.

Order matters: the first sync runs before the deployment runner starts, and the runner
executes one flow run at a time, because DuckDB has a single writer.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass

from rich.console import Console

from core.atomic import write_atomic
from core.settings import Settings
from miauflix.processes import (
    ProcessError,
    Supervisor,
    free_port,
    port_is_free,
    stop_on_signals,
)
from sandbox.catalogue import SyntheticCatalogue
from sandbox.demo_show import add_demo_show
from sandbox.fake_upstream import start_fake_upstream
from sandbox.swarm import DemoSwarm, demo_torrents

PY = sys.executable
DEMO_FILE = "demo.json"  # {"playable_tmdb_ids": [...], "playable_show_ids": [...]}


@dataclass(frozen=True)
class Sandbox:
    """What the demo's in-process sandbox serves."""

    upstream: str  # base URL of the fake TMDB/YTS/EZTV/Trakt
    seeder: str  # host:port of the local seeder
    tracker: str  # announce URL of the local tracker
    playable: list[int]  # TMDB ids of movies whose only sources are seeded demo videos
    playable_shows: list[int]  # TMDB ids of shows whose season 1 is a seeded pack


def _demo_admin_password(settings: Settings) -> str:
    """The configured admin password, else one generated once and kept (0600) in the data dir."""
    configured = settings.admin_password.get_secret_value()
    if configured:
        return configured
    path = settings.data_dir / ".demo-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


def _base_env(settings: Settings, upstream: str, password: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MIAUFLIX_DATA_DIR=str(settings.data_dir.resolve()),
        MIAUFLIX_TMDB_URL=f"{upstream}/tmdb",
        MIAUFLIX_YTS_URLS=f"{upstream}/yts,{upstream}/yts-mirror2",
        MIAUFLIX_EZTV_URLS=f"{upstream}/eztv,{upstream}/eztv-mirror2",
        MIAUFLIX_TRAKT_URL=f"{upstream}/trakt",
        MIAUFLIX_ADMIN_EMAIL=settings.admin_email,
        MIAUFLIX_ADMIN_PASSWORD=password,
        PREFECT_HOME=str((settings.data_dir / "prefect").resolve()),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        MIAUFLIX_API_ACCESS_LOG=os.environ.get("MIAUFLIX_API_ACCESS_LOG", "false"),
    )
    return env


def _demo_imdb_ids(catalogue: SyntheticCatalogue, count: int) -> list[str]:
    """Popular movies (so they are in the first list pages) with no synthetic torrents: the
    locally seeded demo videos become their only sources, so Play streams real video."""
    picked: list[str] = []
    page = 1
    while len(picked) < count and page <= 5:
        for item in catalogue.list_page("popular", page)["results"]:
            imdb_id = catalogue.imdb_id_of(int(item["id"]))
            if imdb_id and not catalogue.yts_torrents(imdb_id) and imdb_id not in picked:
                picked.append(imdb_id)
        page += 1
    return picked[:count] or catalogue.demo_imdb_ids(count)


def start_sandbox(settings: Settings, stack: ExitStack) -> Sandbox:
    """Seed the demo videos (movies, and season 1 of one popular show) and serve the fake
    upstreams in this process."""
    swarm = stack.enter_context(DemoSwarm(settings.data_dir / "media"))
    catalogue = SyntheticCatalogue(settings.sandbox_movies, seed=settings.sandbox_seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    imdb_ids = _demo_imdb_ids(catalogue, len(swarm.torrents))
    extra, files = demo_torrents(
        swarm.torrents,
        imdb_ids,
        url_for=lambda upper: f"{base}/yts/torrent/download/{upper}",
    )
    for imdb_id, torrents in extra.items():
        catalogue.add_torrents(imdb_id, torrents, files)
    show = add_demo_show(
        catalogue,
        settings.data_dir / "media" / "shows",
        [swarm.tracker.announce_url],
        swarm.seeder.seed,
        url_for=lambda upper: f"{base}/yts/torrent/download/{upper}",
    )
    stack.enter_context(start_fake_upstream(catalogue, port=port))
    playable = [tmdb for tmdb in map(catalogue.tmdb_id_of, imdb_ids) if tmdb is not None]
    return Sandbox(base, swarm.seeder.endpoint, swarm.tracker.announce_url, playable, [show.tv_id])


def _sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    """Peers and swarm counts come from the local seeder and tracker only: the demo's engine
    and its scrape never reach a public tracker."""
    return {"MIAUFLIX_ENGINE_PEERS": sandbox.seeder, "MIAUFLIX_SCRAPE_TRACKERS": sandbox.tracker}


def run_demo(settings: Settings, ui: bool = True) -> int:
    console = Console()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    password = _demo_admin_password(settings)
    sup = Supervisor()
    with stop_on_signals(), ExitStack() as stack:
        try:
            return _run(settings, ui, password, sup, stack, console)
        except KeyboardInterrupt:
            console.print("\nstopping…")
            return 0
        except ProcessError as exc:
            console.print(f"[red]demo failed[/red]: {exc}")
            return 1
        finally:
            sup.stop_all()


def _run(
    settings: Settings,
    ui: bool,
    password: str,
    sup: Supervisor,
    stack: ExitStack,
    console: Console,
) -> int:
    console.print(f"[bold]miauflix demo[/bold]: data in {settings.data_dir.resolve()}")
    with console.status("rendering and seeding the demo videos…"):
        sandbox = start_sandbox(settings, stack)
    upstream, playable = sandbox.upstream, sandbox.playable
    write_atomic(
        settings.data_dir / DEMO_FILE,
        json.dumps(
            {"playable_tmdb_ids": playable, "playable_show_ids": sandbox.playable_shows}
        ).encode(),
    )
    console.print(f"fake TMDB/YTS/EZTV/Trakt on {upstream} ({settings.sandbox_movies} movies)")
    console.print(f"local BitTorrent seeder on {sandbox.seeder}")
    env = _base_env(settings, upstream, password)
    env.update(_sandbox_env(sandbox))
    # The local seeder speaks TCP only; an engine that tries uTP first waits 4-5 s on each
    # new torrent before falling back (measured: first bytes 4-5 s with uTP, 60 ms without).
    env.setdefault("MIAUFLIX_ENGINE_UTP", "false")
    engine_url = f"http://127.0.0.1:{settings.engine_port}"
    env["MIAUFLIX_ENGINE_URL"] = engine_url
    if not ui:
        env["MIAUFLIX_PREFECT_UI_URL"] = "off"  # no Prefect server: the admin page links none
    if ui:
        if not port_is_free("127.0.0.1", settings.prefect_ui_port):
            raise ProcessError(f"port {settings.prefect_ui_port} is taken (Prefect UI)")
        prefect_url = f"http://127.0.0.1:{settings.prefect_ui_port}"
        env["PREFECT_API_URL"] = f"{prefect_url}/api"
        with console.status("starting the Prefect server (about 20 s)…"):
            sup.start(
                "prefect server",
                [PY, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                 "--port", str(settings.prefect_ui_port)],
                env,
            )  # fmt: skip
            sup.wait_http("prefect server", f"{prefect_url}/api/health", 180)

    console.print("first sync:")
    code = sup.run("first sync", [PY, "-m", "miauflix.cli", "sync"], env)
    if code != 0:
        console.print(f"[red]first sync failed (exit {code}); the API serves what exists[/red]")

    if ui:
        sup.start("deployment runner", [PY, "-m", "miauflix.deployments"], env)

    sup.start(
        "engine",
        [PY, "-m", "miauflix.cli", "engine", "--port", str(settings.engine_port)],
        env,
    )
    sup.wait_http("engine", f"{engine_url}/health", 60)
    api = f"http://{settings.host}:{settings.port}"
    sup.start(
        "api",
        [PY, "-m", "miauflix.cli", "serve", "--host", settings.host,
         "--port", str(settings.port)],
        env,
        quiet=False,
    )  # fmt: skip
    sup.wait_http("api", f"{api}/api/health", 60)

    console.print()
    console.print("[bold green]Miauflix is up[/bold green]")
    console.print(f"  Watch:      [bold]{api}/[/bold]  (the web client)")
    console.print(f"  API:        {api}/api  (OpenAPI: {api}/api/openapi.json)")
    if ui:
        console.print(f"  Prefect UI: http://127.0.0.1:{settings.prefect_ui_port}")
    console.print(f"  engine:     {engine_url}")
    console.print(f"  movies that stream the seeded demo videos: {playable}")
    console.print(f"  shows whose season 1 streams a seeded pack: {sandbox.playable_shows}")
    console.print(f"  admin login: {settings.admin_email} / {password}")
    console.print("Ctrl-C stops everything.")
    while True:
        time.sleep(1.0)
        sup.check_alive()
