"""The engine logs stream openings, closings and failures by source id, never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from miauflix.logs import configure_logging
from tests.engine.conftest import Running, Swarm, wait_until


@pytest.fixture
def json_log(running: Running) -> Iterator[io.StringIO]:
    settings = running.settings.model_copy(update={"log_format": "json", "log_level": "INFO"})
    handler = configure_logging(settings, "engine")
    sink = io.StringIO()
    handler.setStream(sink)  # type: ignore[attr-defined]
    yield sink
    logging.getLogger().removeHandler(handler)


def _entries(sink: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def test_a_stream_is_logged_opened_and_closed_by_source_id_without_secrets(
    running: Running, swarm: Swarm, client: httpx.Client, json_log: io.StringIO
) -> None:
    key = running.key("alice", "src-tail")
    response = client.get(f"{running.server.url}/stream/{key}", headers={"Range": "bytes=0-999"})
    assert response.status_code == 206
    assert wait_until(lambda: "stream closed" in json_log.getvalue())
    messages = [entry["message"] for entry in _entries(json_log)]
    assert any(m.startswith("stream opened: source src-tail") for m in messages)
    assert any(m.startswith("stream closed: source src-tail") for m in messages)
    text = json_log.getvalue()
    secrets = (
        key,
        swarm.tail_index.info_hash,
        swarm.tail_index.info_hash.upper(),
        "magnet:",
        running.settings.secret_key.get_secret_value(),
    )
    for secret in secrets:
        assert secret not in text
    assert all(entry["component"] == "engine" for entry in _entries(json_log))


def test_a_refused_stream_is_logged_as_failed_without_its_key(
    running: Running, client: httpx.Client, json_log: io.StringIO
) -> None:
    key = running.key("alice", "src-tail")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = client.get(f"{running.server.url}/stream/{forged}")
    assert response.status_code in (401, 403)
    assert wait_until(lambda: "stream failed" in json_log.getvalue())
    assert forged not in json_log.getvalue() and key not in json_log.getvalue()
