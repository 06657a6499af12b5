"""``miauflix demo``: the whole product on loopback with embedded defaults.

Order matters: the first sync runs before the deployment runner starts, and the runner
executes one flow run at a time, because DuckDB has a single writer.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

from rich.console import Console

from miauflix.processes import ProcessError, Supervisor, free_port, port_is_free
from miauflix.settings import Settings

PY = sys.executable


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
        MIAUFLIX_TRAKT_URL=f"{upstream}/trakt",
        MIAUFLIX_ADMIN_EMAIL=settings.admin_email,
        MIAUFLIX_ADMIN_PASSWORD=password,
        PREFECT_HOME=str((settings.data_dir / "prefect").resolve()),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    return env


def run_demo(settings: Settings, ui: bool = True) -> int:
    console = Console()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    password = _demo_admin_password(settings)
    sup = Supervisor()
    try:
        port = free_port()
        upstream = f"http://127.0.0.1:{port}"
        env = _base_env(settings, upstream, password)
        console.print(f"[bold]miauflix demo[/bold]: data in {settings.data_dir.resolve()}")
        sup.start(
            "fake upstream",
            [PY, "-m", "sandbox.fake_upstream", "--port", str(port),
             "--movies", str(settings.sandbox_movies), "--seed", str(settings.sandbox_seed)],
            env,
        )  # fmt: skip
        sup.wait_http("fake upstream", f"{upstream}/tmdb/3/configuration", 60)
        console.print(f"fake TMDB/YTS/Trakt on {upstream} ({settings.sandbox_movies} movies)")

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
        code = subprocess.call([PY, "-m", "miauflix.cli", "sync"], env=env)
        if code != 0:
            console.print(f"[red]first sync failed (exit {code}); the API serves what exists[/red]")

        if ui:
            sup.start("deployment runner", [PY, "-m", "flows.deployments"], env)

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
        console.print(f"[bold green]Miauflix is up[/bold green]  web:  {api}/")
        console.print(f"  API:        {api}/api  (OpenAPI: {api}/api/openapi.json)")
        if ui:
            console.print(f"  Prefect UI: http://127.0.0.1:{settings.prefect_ui_port}")
        console.print(f"  admin login: {settings.admin_email} / {password}")
        console.print("Ctrl-C stops everything.")
        while True:
            time.sleep(1.0)
            sup.check_alive()
    except KeyboardInterrupt:
        console.print("\nstopping…")
        return 0
    except ProcessError as exc:
        console.print(f"[red]demo failed[/red]: {exc}")
        return 1
    finally:
        sup.stop_all()
