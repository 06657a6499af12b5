"""Log lines: level and format from the settings, and no secret ever reaches them."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import load_settings
from miauflix.logs import PREFECT_JSON_CONFIG, REDACTED, RedactSecrets, configure_logging

# These tests use Prefect's loggers outside a flow run on purpose; Prefect warns about it.
OUTSIDE_A_RUN = pytest.mark.filterwarnings("ignore:Logger 'prefect.:UserWarning")

HASH = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Film&tr=udp%3A%2F%2Ftracker"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjoxfQ.c2lnbmF0dXJlc2lnbmF0dXJl"
STREAM_KEY = "eyJlIjoxNzk1OTU5ODk4LCJzIjoic3JjIn0.onOxlz09vAhYH-L3DyF6p5TharG8l83HL4d_sE8"


@pytest.fixture(autouse=True)
def _levels_restored() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in (None, "miauflix", "httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture(autouse=True)
def _handlers_and_environment_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """JSON mode rewires Prefect's handlers and exports its config path: undo both."""
    monkeypatch.delenv("PREFECT_LOGGING_SETTINGS_PATH", raising=False)
    monkeypatch.delenv("MIAUFLIX_LOG_COMPONENT", raising=False)
    names = [None, *logging.root.manager.loggerDict]
    saved = {name: list(logging.getLogger(name).handlers) for name in names}
    yield
    for name, handlers in saved.items():
        logging.getLogger(name).handlers[:] = handlers


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    monkeypatch.setenv("MIAUFLIX_SECRET_KEY", "master-secret-value-0123")
    monkeypatch.setenv("MIAUFLIX_TMDB_API_KEY", "tmdb-key-value-4567")
    monkeypatch.setenv("MIAUFLIX_LOG_FORMAT", "json")
    monkeypatch.setenv("MIAUFLIX_LOG_LEVEL", "info")
    handler = configure_logging(load_settings(), "api")
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize(
    "secret",
    [
        HASH,
        HASH.upper(),
        "e" * 64,
        "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE4ZT",  # base32 info hash
        MAGNET,
        JWT,
        STREAM_KEY,
        "master-secret-value-0123",
        "tmdb-key-value-4567",
    ],
)
def test_secrets_in_messages_arguments_and_tracebacks_are_redacted(
    sink: io.StringIO, secret: str
) -> None:
    log = logging.getLogger("miauflix.test")
    log.info("plain %s", secret)
    log.warning("in the message " + secret)
    try:
        raise ValueError(f"boom {secret}")
    except ValueError:
        log.exception("failed")
    text = sink.getvalue()
    assert secret not in text
    assert text.count(REDACTED) >= 3


@pytest.mark.parametrize(
    "line",
    [
        "GET /3/movie/1?api_key=abcdef123456 200",
        "Authorization: Bearer abc.def.ghijklmnop",
        "refresh_token=zzzzzzzzzz&x=1",
        "password=hunter2hunter2",
    ],
)
def test_credentials_in_urls_and_headers_are_redacted(line: str) -> None:
    redacted = RedactSecrets().redact(line)
    assert REDACTED in redacted
    for token in ("abcdef123456", "ghijklmnop", "zzzzzzzzzz", "hunter2hunter2"):
        assert token not in redacted


def test_ordinary_text_is_left_alone() -> None:
    line = "stream opened: source src-tail, user 3, bytes 0-999 (movie 550)"
    assert RedactSecrets(["x"]).redact(line) == line


def test_json_lines_carry_level_logger_component_and_time(sink: io.StringIO) -> None:
    logging.getLogger("miauflix.test").info("hello %d", 3)
    logging.getLogger("miauflix.test").debug("not at info level")
    entries = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["level"], entry["logger"], entry["component"]) == ("INFO", "miauflix.test", "api")
    assert entry["message"] == "hello 3" and entry["time"].endswith("Z")


def test_text_format_and_level_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIAUFLIX_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("MIAUFLIX_LOG_FORMAT", "text")
    handler = configure_logging(load_settings(), "engine")
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("miauflix.test").info("quiet")
        logging.getLogger("miauflix.test").warning("loud")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "quiet" not in stream.getvalue()
    assert " WARNING engine miauflix.test: loud" in stream.getvalue()


def test_configuring_twice_keeps_one_handler(sink: io.StringIO) -> None:
    before = len(logging.getLogger().handlers)
    handler = configure_logging(load_settings(), "api")
    assert len(logging.getLogger().handlers) == before
    logging.getLogger().removeHandler(handler)


@OUTSIDE_A_RUN
def test_in_text_mode_prefect_records_are_left_to_prefect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIAUFLIX_LOG_FORMAT", "text")
    handler = configure_logging(load_settings(), "flows")
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("prefect.task_runs").error("a task's traceback")
    logging.getLogger().removeHandler(handler)
    assert stream.getvalue() == ""
    assert "PREFECT_LOGGING_SETTINGS_PATH" not in os.environ


@OUTSIDE_A_RUN
def test_in_json_mode_prefect_records_are_json_lines_once_and_redacted(
    sink: io.StringIO,
) -> None:
    logging.getLogger("prefect.task_runs").error("task failed for %s", MAGNET)
    entries = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [e["logger"] for e in entries] == ["prefect.task_runs"]
    assert HASH not in entries[0]["message"] and REDACTED in entries[0]["message"]
    prefect_consoles = [
        h
        for name in [None, *logging.root.manager.loggerDict]
        for h in logging.getLogger(name).handlers
        if type(h).__name__ == "PrefectConsoleHandler"
    ]
    assert prefect_consoles == []


def test_json_mode_hands_child_processes_a_prefect_config_in_the_same_format(
    sink: io.StringIO,
) -> None:
    config_path = Path(os.environ["PREFECT_LOGGING_SETTINGS_PATH"])
    assert config_path == PREFECT_JSON_CONFIG and config_path.is_file()
    child = subprocess.run(
        [sys.executable, "-c", "from prefect import flow\nfrom prefect.logging import get_logger\n"
         "get_logger('prefect.flow_runs').warning('run %s', 'magnet:?xt=urn:btih:' + 'ab' * 20)"],
        env={**os.environ, "MIAUFLIX_LOG_COMPONENT": "flows",
             "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = [line for line in child.stderr.splitlines() if line.strip()]
    assert lines, child.stderr
    entries = [json.loads(line) for line in lines]
    assert [(e["logger"], e["component"]) for e in entries] == [("prefect.flow_runs", "flows")]
    assert "ab" * 20 not in child.stderr


@OUTSIDE_A_RUN
def test_in_text_mode_a_third_party_line_is_printed_once_not_by_prefect_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.logging.handlers import PrefectConsoleHandler

    prefect_stream = io.StringIO()
    prefect_console = PrefectConsoleHandler(stream=prefect_stream)
    logging.getLogger().addHandler(prefect_console)
    monkeypatch.setenv("MIAUFLIX_LOG_FORMAT", "text")
    handler = configure_logging(load_settings(), "flows")
    ours = io.StringIO()
    handler.setStream(ours)  # type: ignore[attr-defined]
    try:
        logging.getLogger("duckdb.thirdparty").warning("disk almost full")
        logging.getLogger("prefect.flow_runs").warning("run finished late")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().removeHandler(prefect_console)
    assert (
        "disk almost full" in ours.getvalue()
        and "disk almost full" not in prefect_stream.getvalue()
    )
    assert (
        "run finished late" in prefect_stream.getvalue()
        and "run finished late" not in ours.getvalue()
    )


def test_per_request_http_client_lines_are_debug_detail(sink: io.StringIO) -> None:
    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:4200/api/health "200 OK"')
    logging.getLogger("httpx").warning("connection pool exhausted")
    messages = [json.loads(line)["message"] for line in sink.getvalue().splitlines()]
    assert messages == ["connection pool exhausted"]
