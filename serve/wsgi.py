"""WSGI entry points: ``gunicorn serve.wsgi:app`` and :func:`run_server` for the CLI.

``app`` is created lazily on first access (module ``__getattr__``), so importing
:func:`run_server` does not build an app from the environment as a side effect.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from core.settings import Settings, load_settings
from serve.app import create_app

DEFAULT_THREADS = 8


def default_workers() -> int:
    """Worker processes: one per core plus one, at most 4 (SQLite reads scale with cores)."""
    return max(2, min(4, (os.cpu_count() or 1) + 1))


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn driven from Python with an already-built app (loaded once, then forked)."""

    def __init__(self, application: Flask, options: dict[str, Any]) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


class ProcessFormatLogger(GunicornLogger):  # type: ignore[misc]
    """Gunicorn's error and access logs in this process's own format and redaction.

    ``miauflix serve`` installs one handler on the root logger (text or JSON, with the
    secret redaction filter: :mod:`miauflix.logs`); gunicorn keeps its own handlers, so
    they borrow that handler's formatter and filters. Without such a handler (gunicorn run
    by hand) gunicorn's defaults stay.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_miauflix_handler", False)]
        if not ours:
            return
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(ours[0].formatter)
                for flt in ours[0].filters:
                    if flt not in handler.filters:
                        handler.addFilter(flt)


def gunicorn_options(
    settings: Settings,
    host: str,
    port: int,
    workers: int | None = None,
    threads: int | None = None,
    *,
    access_log: bool | None = None,
) -> dict[str, Any]:
    """Gunicorn configuration: gthread workers, logs to stdout/stderr.

    ``access_log`` (default: the ``api_access_log`` setting when it exists, else on)
    writes one line per request to stdout; turning it off saves CPU per request.
    """
    if access_log is None:
        access_log = bool(getattr(settings, "api_access_log", True))
    return {
        "bind": f"{host}:{port}",
        "workers": workers or settings.api_workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads or settings.api_threads or DEFAULT_THREADS,
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "miauflix-api",
        "logger_class": ProcessFormatLogger,
        "max_requests": 0,
    }


def run_server(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    *,
    workers: int | None = None,
    threads: int | None = None,
    access_log: bool | None = None,
) -> None:
    """Serve the API under gunicorn until interrupted (blocks).

    The app is built once here (first admin, migrations, key file) and the workers fork
    from it, so start-up work and the printed admin password happen exactly once.
    """
    settings = settings or load_settings()
    application = create_app(settings)
    options = gunicorn_options(
        settings,
        host or settings.host,
        port or settings.port,
        workers,
        threads,
        access_log=access_log,
    )
    _Gunicorn(application, options).run()


def __getattr__(name: str) -> Any:
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
