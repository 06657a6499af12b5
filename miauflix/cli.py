"""The ``miauflix`` command: demo, sync, serve, engine (``--help`` on each).

Flags override the matching ``MIAUFLIX_*`` settings. Heavy imports happen inside the
sub-commands so that ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from core.errors import MiauflixError
from core.settings import Settings, load_settings


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"MIAUFLIX_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SystemExit(f"miauflix: invalid settings: {problems}") from None


def _cmd_sync(args: argparse.Namespace) -> int:
    from miauflix.sync_command import run_sync

    return run_sync(_settings(data_dir=args.data_dir), scope=args.scope, quiet=args.quiet)


def _cmd_serve(args: argparse.Namespace) -> int:
    from serve.wsgi import run_server

    settings = _settings(host=args.host, port=args.port, data_dir=args.data_dir)
    run_server(settings, settings.host, settings.port, workers=args.workers)
    return 0


def _cmd_engine(args: argparse.Namespace) -> int:
    from engine.server import run_engine

    settings = _settings(engine_port=args.port, data_dir=args.data_dir)
    run_engine(settings, args.host, settings.engine_port)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from miauflix.demo import run_demo

    overrides: dict[str, object] = {"data_dir": args.data_dir, "sandbox_movies": args.movies}
    return run_demo(_settings(**overrides), ui=not args.no_prefect_ui)


def _cmd_keys(args: argparse.Namespace) -> int:
    from miauflix.key_rotation import prune_keys, rotate_keys

    settings = _settings(data_dir=args.data_dir)
    if args.action == "prune":
        removed = prune_keys(settings)
        print(f"miauflix: removed {len(removed)} retired key(s): {', '.join(removed) or '-'}")
        return 0
    summary = rotate_keys(settings)
    print(
        f"miauflix: rotated key {summary.old_key_id} -> {summary.new_key_id}; re-encrypted "
        f"{summary.catalog_sources} catalog sources and {summary.app_secrets} app secrets"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miauflix",
        description="Self-hosted movie streaming: pipeline, API and streaming engine.",
    )
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
        choices=["all", "lists", "movies", "sources"],
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
    serve.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    serve.set_defaults(func=_cmd_serve)

    engine = sub.add_parser(
        "engine",
        help="run the streaming engine",
        description="Run the libtorrent streaming engine and its HTTP stream server.",
    )
    engine.add_argument("--host", default="127.0.0.1", help="listen host (default 127.0.0.1)")
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
    return parser


def main(argv: Sequence[str] | None = None) -> None:
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
