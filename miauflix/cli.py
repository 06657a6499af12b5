"""The ``miauflix`` command: demo, sync, serve, engine, worker, keys, backup, restore, admin
(``--help`` on each, ``--version``).

Flags override the matching ``MIAUFLIX_*`` settings (read from the environment, then a
``.env`` file). Every command that touches the data directory first makes its files
private (:mod:`miauflix.private_files`) and configures logging (:mod:`miauflix.logs`).
Heavy imports happen inside the sub-commands so that ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import ValidationError

from core.errors import MiauflixError
from core.settings import Settings, load_settings
from miauflix import tizen_build


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"MIAUFLIX_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SystemExit(f"miauflix: invalid settings: {problems}") from None


def _prepared(component: str, **overrides: object) -> Settings:
    """Settings, then this process's private umask, tightened files and logging."""
    from miauflix.logs import configure_logging
    from miauflix.private_files import make_private

    settings = _settings(**overrides)
    configure_logging(settings, component)
    make_private(settings)
    return settings


def miauflix_version() -> str:
    try:
        return version("miauflix")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def _cmd_sync(args: argparse.Namespace) -> int:
    from miauflix.sync_command import run_sync

    settings = _prepared("flows", data_dir=args.data_dir)
    return run_sync(settings, scope=args.scope, quiet=args.quiet)


def _cmd_serve(args: argparse.Namespace) -> int:
    from serve.wsgi import run_server

    settings = _prepared(
        "api", host=args.host, port=args.port, data_dir=args.data_dir, api_workers=args.workers
    )
    run_server(settings, settings.host, settings.port, workers=settings.api_workers or None)
    return 0


def _cmd_engine(args: argparse.Namespace) -> int:
    from engine.server import run_engine

    settings = _prepared(
        "engine", engine_host=args.host, engine_port=args.port, data_dir=args.data_dir
    )
    run_engine(settings, settings.engine_host, settings.engine_port)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from miauflix.demo import run_demo

    overrides: dict[str, object] = {"data_dir": args.data_dir, "sandbox_movies": args.movies}
    return run_demo(_prepared("demo", **overrides), ui=not args.no_prefect_ui)


def _cmd_worker(args: argparse.Namespace) -> int:
    from miauflix.worker import run_worker

    settings = _prepared("flows", data_dir=args.data_dir)
    return run_worker(
        settings, heartbeat=args.heartbeat, crash_after=args.crash_after, wait=args.wait
    )


def _add_worker(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser(
        "worker",
        help="serve the scheduled deployments against a Prefect server (PREFECT_API_URL)",
        description="Check that the Prefect API at PREFECT_API_URL answers, make sure it has "
        "the global concurrency limit miauflix-warehouse (1 slot: one warehouse writer across "
        "all workers) and the automation that marks flow runs Crashed when their heartbeats "
        "stop, then run the deployments' flow runs (one at a time per worker) until SIGTERM "
        "or Ctrl-C. Start one per machine, or several; flow runs never outlive their worker.",
    )
    worker.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    worker.add_argument(
        "--heartbeat",
        type=int,
        default=30,
        help="seconds between flow-run heartbeats (PREFECT_FLOWS_HEARTBEAT_FREQUENCY; "
        "at least 30, the default)",
    )
    worker.add_argument(
        "--crash-after",
        type=float,
        default=90.0,
        help="mark a running flow run Crashed after this many seconds without a heartbeat "
        "(default 90)",
    )
    worker.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="seconds to wait for the Prefect API to answer before giving up (default 30)",
    )
    worker.set_defaults(func=_cmd_worker)


def _cmd_keys(args: argparse.Namespace) -> int:
    from miauflix.key_rotation import prune_keys, rotate_keys

    settings = _prepared("keys", data_dir=args.data_dir)
    if args.action == "prune":
        removed = prune_keys(settings)
        print(f"miauflix: removed {len(removed)} retired key(s): {', '.join(removed) or '-'}")
        return 0
    summary = rotate_keys(settings)
    print(
        f"miauflix: rotated key {summary.old_key_id} -> {summary.new_key_id}; re-encrypted "
        f"{summary.catalog_sources} catalog sources and {summary.app_secrets} app secrets; "
        f"warehouse: {summary.warehouse}; analytics snapshot: {summary.analytics}"
    )
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from miauflix.backup import KEY_WARNING, backup

    report = backup(_prepared("backup", data_dir=args.data_dir), Path(args.dir))
    for name, size in report.files.items():
        print(f"  {name}  ({size} bytes)")
    print(f"miauflix: backup written to {report.directory}")
    key = "MIAUFLIX_SECRET_KEY (set in the environment, not in any file)"
    if not report.key_in_environment:
        key = f"{report.directory / 'secret.key'}"
    print(KEY_WARNING.format(key=key), file=sys.stderr)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from miauflix.backup import restore

    settings = _prepared("restore", data_dir=args.data_dir)
    names = restore(settings, Path(args.dir), force=args.force)
    print(f"miauflix: restored and verified {', '.join(names)} into {settings.data_dir}")
    return 0


def _cmd_admin(args: argparse.Namespace) -> int:
    from miauflix.admin import read_new_password, reset_password

    settings = _prepared("admin", data_dir=args.data_dir)
    revoked = reset_password(settings, args.email, read_new_password())
    print(f"miauflix: password of {args.email} reset; {revoked} session(s) signed out")
    return 0


def _add_maintenance(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy app.sqlite, the catalog and the key files into a new directory",
        description="Consistent online copies (SQLite backup API) of app.sqlite and "
        "catalog.sqlite, plus secret.key and retired keys, with a manifest of checksums. "
        "The key file is needed to read anything in the backup: keep it safe.",
    )
    backup.add_argument("dir", help="new (or empty) directory to write the backup into")
    backup.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    backup.set_defaults(func=_cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="restore a backup into the data directory",
        description="Verify the backup (checksums, SQLite integrity, keys), move the files "
        "it replaces into <data dir>/before-restore-<time>/, install and verify it. Refuses "
        "while a Miauflix process has the data directory's files open.",
    )
    restore.add_argument("dir", help="directory written by `miauflix backup`")
    restore.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    restore.add_argument("--force", action="store_true", help="restore even while the service runs")
    restore.set_defaults(func=_cmd_restore)

    admin = sub.add_parser("admin", help="account administration from the command line")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    reset = admin_sub.add_parser(
        "reset-password",
        help="set a user's password and sign them out everywhere",
        description="Prompts twice without echo (or reads one line from standard input "
        "when it is not a terminal); revokes the user's sessions and stream URLs.",
    )
    reset.add_argument("email", help="the user's email")
    reset.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    reset.set_defaults(func=_cmd_admin)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miauflix",
        description="Self-hosted movie streaming: pipeline, API and streaming engine.",
    )
    parser.add_argument("--version", action="version", version=f"miauflix {miauflix_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run everything on loopback with embedded defaults",
        description="Start the fake upstreams, a Prefect server with the scheduled "
        "deployments, a first sync, the API and the engine; print the URLs and the "
        "admin login; stop everything on Ctrl-C.",
    )
    demo.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    demo.add_argument(
        "--movies", type=int, help="size of the fake catalogue (MIAUFLIX_SANDBOX_MOVIES)"
    )
    demo.add_argument(
        "--no-prefect-ui",
        action="store_true",
        help="skip the Prefect server (faster start; syncs use a temporary API)",
    )
    demo.set_defaults(func=_cmd_demo)

    sync = sub.add_parser(
        "sync",
        help="run the pipeline once and exit (non-zero on failure)",
        description="Ingest TMDB and YTS, transform, check and publish the catalog once.",
    )
    sync.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    sync.add_argument(
        "--scope",
        choices=["all", "lists", "movies", "sources", "trakt"],
        default="all",
        help="what to refresh (default: all)",
    )
    sync.add_argument("--quiet", action="store_true", help="no progress display")
    sync.set_defaults(func=_cmd_sync)

    serve = sub.add_parser(
        "serve", help="serve the API and the web client", description="Run the API (gunicorn)."
    )
    serve.add_argument("--host", help="overrides MIAUFLIX_HOST")
    serve.add_argument("--port", type=int, help="overrides MIAUFLIX_PORT")
    serve.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    serve.add_argument("--workers", type=int, help="overrides MIAUFLIX_API_WORKERS")
    serve.set_defaults(func=_cmd_serve)

    engine = sub.add_parser(
        "engine",
        help="run the streaming engine",
        description="Run the libtorrent streaming engine and its HTTP stream server.",
    )
    engine.add_argument("--host", help="overrides MIAUFLIX_ENGINE_HOST (0.0.0.0: LAN TVs)")
    engine.add_argument("--port", type=int, help="overrides MIAUFLIX_ENGINE_PORT")
    engine.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    engine.set_defaults(func=_cmd_engine)

    keys = sub.add_parser(
        "keys",
        help="rotate or prune the master secret",
        description="rotate: new master key, re-encrypt catalog.sqlite and app.sqlite "
        "without stopping readers (old key kept for in-flight tokens). prune: delete "
        "retired keys once every process has restarted.",
    )
    keys.add_argument("action", choices=["rotate", "prune"], help="what to do")
    keys.add_argument("--data-dir", help="overrides MIAUFLIX_DATA_DIR")
    keys.set_defaults(func=_cmd_keys)
    _add_maintenance(sub)
    _add_worker(sub)  # `worker` (miauflix/worker.py)
    tizen_build.add_parser(sub)  # `tizen build --out DIR` (miauflix/tizen_build.py)
    return parser


# polars allocates through its own jemalloc, which by default keeps freed pages for seconds:
# at the transform's peak that is ~50 MiB of RSS (benchmarks/README.md, "TV pipeline").
# Returning them at once costs no measurable CPU. Read when polars first allocates, so it is
# set before any sub-command imports it; child processes (flow runs) inherit it.
ALLOCATOR_DEFAULTS = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}


def main(argv: Sequence[str] | None = None) -> None:
    for name, value in ALLOCATOR_DEFAULTS.items():
        os.environ.setdefault(name, value)
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except MiauflixError as exc:
        print(f"miauflix: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


if __name__ == "__main__":
    main()
