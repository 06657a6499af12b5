"""The engine records per-source outcomes for the ranking (engine/outcomes.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from core.source_outcomes import outcomes_path, read_outcomes
from engine.errors import MetadataTimeout
from engine.outcomes import OutcomeRecorder
from tests.engine.conftest import (
    CatalogSource,
    Running,
    start_engine,
    stop_engine,
    with_bt_port,
    write_catalog,
)


def _kinds(run: Running, source_id: str) -> list[str]:
    run.engine.outcomes.flush()
    events = read_outcomes(outcomes_path(run.settings.data_dir))
    return [e.kind for e in events if e.source_id == source_id]


def test_a_stream_records_opened_then_one_first_byte(
    running: Running, client: httpx.Client
) -> None:
    for _ in range(2):  # a second request of the same torrent adds no first_byte
        response = client.get(running.url("alice", "src-fast"), headers={"Range": "bytes=0-999"})
        assert response.status_code == 206
    assert _kinds(running, "src-fast") == ["opened", "first_byte"]
    events = read_outcomes(outcomes_path(running.settings.data_dir))
    opened, first = events[0], events[1]
    assert opened.ms is not None and opened.ms > 0
    assert first.ms is not None and first.ms >= 0
    assert first.peers is not None and first.peers >= 0


def test_a_metadata_timeout_is_recorded(settings: Settings, cipher: FieldCipher) -> None:
    write_catalog(settings.catalog_path, cipher, [CatalogSource("lonely", 1, None, "cd" * 20)])
    run = start_engine(with_bt_port(settings), engine_metadata_timeout=1.0)
    try:
        with pytest.raises(MetadataTimeout):
            run.engine.open("lonely")
        assert _kinds(run, "lonely") == ["metadata_timeout"]
    finally:
        stop_engine(run)
    raw = outcomes_path(settings.data_dir).read_bytes()
    assert b"cd" * 20 not in raw  # keyed by source id, never by the info hash


def test_recording_never_raises_even_when_the_file_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    recorder = OutcomeRecorder(blocker)
    recorder.record("src-x", "stalled")
    recorder.record("c12fe1c06bba254a9dc9f519b335aa7c1367a88a", "opened")  # refused, logged
    recorder.close()
