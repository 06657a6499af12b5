"""source_outcomes.sqlite: writer/reader, bounds, concurrent writers, no secrets."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import utcnow
from core.source_outcomes import (
    OutcomeError,
    OutcomeEvent,
    OutcomeWriter,
    max_event_id,
    outcomes_path,
    read_outcomes,
)

SID = "a1b2c3d4e5f6a7b8c9d0e1f2"  # the catalog's 24-hex source id shape


def test_written_events_read_back_in_order_after_a_watermark(tmp_path: Path) -> None:
    path = outcomes_path(tmp_path)
    writer = OutcomeWriter(path)
    writer.append([OutcomeEvent(SID, "opened", ms=812.5, peers=4, rate=1e6)])
    writer.append([OutcomeEvent(SID, "first_byte", ms=90.0), OutcomeEvent(SID, "stalled")])
    writer.close()
    events = read_outcomes(path)
    assert [e.kind for e in events] == ["opened", "first_byte", "stalled"]
    assert events[0].ms == 812.5 and events[0].peers == 4 and events[0].rate == 1e6
    assert [e.kind for e in read_outcomes(path, after_id=events[0].event_id)] == [
        "first_byte",
        "stalled",
    ]
    assert max_event_id(path) == events[-1].event_id
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_outcomes(tmp_path / "none.sqlite") == []
    assert max_event_id(tmp_path / "none.sqlite") == 0


def test_the_reader_is_read_only(tmp_path: Path) -> None:
    path = outcomes_path(tmp_path)
    OutcomeWriter(path).append([OutcomeEvent(SID, "opened")])
    before = path.stat().st_mtime_ns
    read_outcomes(path)
    assert path.stat().st_mtime_ns == before


def test_size_is_bounded_by_rows_and_age(tmp_path: Path) -> None:
    path = outcomes_path(tmp_path)
    writer = OutcomeWriter(path, max_rows=50, retention=timedelta(days=30))
    writer.append([OutcomeEvent(SID, "stalled", at=utcnow() - timedelta(days=40))])
    writer.append([OutcomeEvent(SID, "opened") for _ in range(120)])
    writer.prune()
    events = read_outcomes(path)
    assert len(events) == 50
    assert all(e.kind == "opened" for e in events)  # the 40-day-old event is gone
    assert events[-1].event_id == 121  # ids keep growing: the ingest watermark stays valid


@pytest.mark.parametrize(
    "secret",
    [
        "c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
        "C12FE1C06BBA254A9DC9F519B335AA7C1367A88A",
        "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
        "",
    ],
)
def test_an_info_hash_or_magnet_is_never_stored(tmp_path: Path, secret: str) -> None:
    path = outcomes_path(tmp_path)
    with pytest.raises(OutcomeError):
        OutcomeWriter(path).append([OutcomeEvent(secret, "opened")])
    assert read_outcomes(path) == []


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = outcomes_path(tmp_path)

    def write(n: int) -> None:
        writer = OutcomeWriter(path)  # one connection per writer, like two engine processes
        for i in range(50):
            writer.append([OutcomeEvent(f"{n:02d}{i:022d}", "first_byte", ms=float(i))])
        writer.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = read_outcomes(path)
    assert len(events) == 200
    assert len({e.event_id for e in events}) == 200
