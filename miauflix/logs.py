"""Logging for every Miauflix process: ``MIAUFLIX_LOG_LEVEL`` and ``MIAUFLIX_LOG_FORMAT``.

One handler on the root logger, to stderr, as text or one JSON object per line. Every
record passes :class:`RedactSecrets` first: the configured secrets (master key, admin
password, API keys) and anything shaped like a magnet link, an info hash, a bearer token
or a JWT are replaced by ``[redacted]`` -- in the message, its arguments and the traceback.
Code should not log such values in the first place; this is the net under it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.settings import Settings

REDACTED = "[redacted]"
_PATTERNS = re.compile(
    r"magnet:\?[^\s'\"<>]+"  # magnet links
    r"|\b[0-9a-fA-F]{40}\b|\b[0-9a-fA-F]{64}\b"  # v1/v2 info hashes (and hex keys)
    r"|\b[A-Z2-7]{32}\b"  # base32 info hashes
    r"|\beyJ[\w-]{8,}(?:\.[\w-]{8,})+"  # JWTs and stream keys (base64 JSON + signature)
    r"|(?i:bearer)\s+[\w.~+/=-]{8,}"  # Authorization: Bearer ...
    r"|(?i:(?:api_key|access_token|refresh_token|password|client_secret|token)=)[^\s&'\"]+"
)
_MARK = "_miauflix_handler"


def _secrets_of(settings: Settings) -> list[str]:
    values = [
        settings.secret_key.get_secret_value(),
        settings.admin_password.get_secret_value(),
        settings.tmdb_api_key.get_secret_value(),
        settings.trakt_client_id.get_secret_value(),
        settings.trakt_client_secret.get_secret_value(),
    ]
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Rewrite a record so that no known secret or secret-shaped value survives."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _PATTERNS.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OwnRecords(logging.Filter):
    """Leave Prefect's records to Prefect: it formats and routes its own logs
    (``PREFECT_LOGGING_LEVEL``), and a failed run's traceback is not the CLI's summary."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith("prefect")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, component, message."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "component": self.component,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, component: str) -> logging.Handler:
    """Install the Miauflix handler on the root logger (replacing an earlier one).

    In JSON mode Prefect's records join it (one format for every line a machine reads),
    Prefect's own console handlers are taken out of this process, and child processes
    (flow runs, the Prefect server) inherit a Prefect logging configuration in the same
    format through ``PREFECT_LOGGING_SETTINGS_PATH``.
    """
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _MARK, True)
    json_mode = settings.log_format == "json"
    if json_mode:
        handler.setFormatter(JsonFormatter(component))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {component} %(name)s: %(message)s")
        )
        handler.addFilter(OwnRecords())
    handler.addFilter(RedactSecrets(_secrets_of(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    if json_mode:
        _prefect_logs_as_json(handler, component)
    else:
        _prefect_console_keeps_to_prefect(root)
    root.setLevel(settings.log_level)
    logging.getLogger("miauflix").setLevel(settings.log_level)
    # One INFO line per HTTP request (Prefect's API calls included) is debugging detail.
    quiet = "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(quiet)
    return handler


PREFECT_JSON_CONFIG = Path(__file__).with_name("prefect_logging_json.yaml")
_PREFECT_CONSOLE_HANDLERS = ("PrefectConsoleHandler", "_SafeStreamHandler")
_COMPONENT_ENV = "MIAUFLIX_LOG_COMPONENT"


def _prefect_logs_as_json(ours: logging.Handler, component: str) -> None:
    """Route Prefect's console output in this process through ``ours``; children inherit."""
    os.environ["PREFECT_LOGGING_SETTINGS_PATH"] = str(PREFECT_JSON_CONFIG)
    os.environ.setdefault(_COMPONENT_ENV, component)
    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    for logger in loggers:
        consoles = [h for h in logger.handlers if type(h).__name__ in _PREFECT_CONSOLE_HANDLERS]
        for handler in consoles:
            logger.removeHandler(handler)
        if consoles and logger is not logging.getLogger() and not logger.propagate:
            logger.addHandler(ours)


def _prefect_console_keeps_to_prefect(root: logging.Logger) -> None:
    """Text mode: a Prefect console handler already on the root logger prints Prefect's
    records only; everything else is ours (otherwise every third-party line shows twice)."""
    for handler in root.handlers:
        if type(handler).__name__ == "PrefectConsoleHandler" and not any(
            isinstance(f, PrefectRecordsOnly) for f in handler.filters
        ):
            handler.addFilter(PrefectRecordsOnly())


class PrefectRecordsOnly(logging.Filter):
    """The complement of :class:`OwnRecords`, for Prefect's console handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("prefect")


def prefect_json_formatter() -> logging.Formatter:
    """Formatter factory named by ``prefect_logging_json.yaml`` (child processes)."""
    return JsonFormatter(os.environ.get(_COMPONENT_ENV, "flows"))


def prefect_redaction() -> logging.Filter:
    """Redaction filter factory named by ``prefect_logging_json.yaml``: the configured secrets
    when the settings load, the secret-shaped patterns always."""
    try:
        from core.settings import load_settings

        return RedactSecrets(_secrets_of(load_settings()))
    except Exception:  # a log filter must never stop a process from starting
        return RedactSecrets()
