"""The run history beside last_sync.json: appended by the same call, capped, newest first,
typed on the way out, tolerant of torn lines, and free of secrets."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from core.last_sync import (
    HISTORY_FILE,
    append_sync_history,
    read_last_sync,
    read_sync_history,
    record_sync_run,
)

KEY = "0123456789abcdef0123456789abcdef"


def _record(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "run_id": f"run-{n}",
        "scope": "all",
        "status": "succeeded",
        "started_at": datetime(2026, 1, 1, 10, n % 60, 0),
        "finished_at": datetime(2026, 1, 1, 10, n % 60, 12, 500000),
        "seconds": {"ingest": 5.25, "transform": 0.5, "checks": 6.0, "publish": 0.75},
        "dq": {
            "success": True,
            "summary": "data quality passed ...",
            "suites": [
                {"name": "stg_tmdb__movies", "success": True, "evaluated": 12, "passed": 12}
            ],
        },
        "catalog": {
            "published": True,
            "run_id": f"run-{n}",
            "published_at": "2026-01-01T10:00:12Z",
            "counts": {"movies": 100 + n, "sources": 300 + n},
        },
        **extra,
    }


def test_the_same_call_writes_last_sync_and_appends_a_compact_entry(data_dir: Path) -> None:
    record_sync_run(data_dir, _record(1))
    assert read_last_sync(data_dir) is not None
    lines = (data_dir / HISTORY_FILE).read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {
        "run_id": "run-1",
        "scope": "all",
        "status": "succeeded",
        "started_at": "2026-01-01T10:01:00Z",
        "finished_at": "2026-01-01T10:01:12Z",
        "seconds": 12.5,
        "phases": {"ingest": 5.25, "transform": 0.5, "checks": 6.0, "publish": 0.75},
        "dq": {
            "success": True,
            "suites": [
                {"name": "stg_tmdb__movies", "success": True, "evaluated": 12, "passed": 12}
            ],
        },
        "catalog": {
            "published": True,
            "run_id": "run-1",
            "published_at": "2026-01-01T10:00:12Z",
            "counts": {"movies": 101, "sources": 301},
        },
        "error": None,
    }
    assert read_sync_history(data_dir) == [json.loads(lines[0])]  # stable on the way back


def test_history_is_newest_first_and_limited(data_dir: Path) -> None:
    for n in range(5):
        append_sync_history(data_dir, _record(n))
    assert [r["run_id"] for r in read_sync_history(data_dir, 3)] == ["run-4", "run-3", "run-2"]
    assert len(read_sync_history(data_dir)) == 5
    assert read_sync_history(data_dir, 0) == []


def test_history_keeps_only_the_newest_runs(data_dir: Path) -> None:
    for n in range(12):
        append_sync_history(data_dir, _record(n), cap=10)
    runs = read_sync_history(data_dir, 100)
    assert [r["run_id"] for r in runs] == [f"run-{n}" for n in range(11, 1, -1)]
    assert len((data_dir / HISTORY_FILE).read_text().splitlines()) == 10


def test_a_torn_or_foreign_line_is_skipped_not_a_crash(data_dir: Path) -> None:
    append_sync_history(data_dir, _record(1))
    path = data_dir / HISTORY_FILE
    with path.open("ab") as handle:
        handle.write(b'[1, 2]\n{"no_run_id": true}\n\xff\xfe garbage\n{"run_id": "run-2", "sta')
    assert [r["run_id"] for r in read_sync_history(data_dir)] == ["run-1"]
    append_sync_history(data_dir, _record(3))  # the writer drops the damage as it rewrites
    assert [r["run_id"] for r in read_sync_history(data_dir)] == ["run-3", "run-1"]
    assert len(path.read_text().splitlines()) == 2


def test_hand_edited_values_come_back_typed(data_dir: Path) -> None:
    odd = {
        "run_id": 7,
        "status": None,
        "started_at": "yesterday",
        "seconds": -3,
        "phases": {"ingest": "slow", "checks": float("inf"), "publish": 1},
        "dq": {"success": "yes", "suites": ["x", {"suite": "marts", "evaluated": 4, "failed": 1}]},
        "catalog": {"counts": {"movies": "many", "sources": 3}},
        "error": {"nested": True},
    }
    (data_dir / HISTORY_FILE).write_text(json.dumps(odd) + "\n")
    (run,) = read_sync_history(data_dir)
    assert run["run_id"] == "7" and run["status"] == "unknown"
    assert run["started_at"] is None and run["seconds"] is None and run["error"] is None
    assert run["phases"] == {"publish": 1.0}
    assert run["dq"] == {
        "success": None,
        "suites": [{"name": "marts", "success": False, "evaluated": 4, "passed": 3}],
    }
    assert run["catalog"]["counts"] == {"sources": 3}


def test_no_secret_reaches_the_history(data_dir: Path) -> None:
    error = (
        f"GET https://api.themoviedb.org/3/movie/5?language=en&api_key={KEY} failed; "
        f"mirror https://user:{KEY}@yts.example/api?token={KEY}&page=2 down " + "x" * 2000
    )
    record = _record(1, error=error, magnet=f"magnet:?xt=urn:btih:{KEY}", tmdb_api_key=KEY)
    record["dq"]["summary"] = f"FAIL info_hash {KEY}"
    record_sync_run(data_dir, record)
    history = (data_dir / HISTORY_FILE).read_text()
    assert KEY not in history
    last = read_last_sync(data_dir)
    assert last is not None and KEY not in last["error"]  # the rest of it is the caller's
    (run,) = read_sync_history(data_dir)
    assert len(run["error"]) <= 300
    assert "api_key=***" in run["error"] and "https://***@yts.example" in run["error"]
    assert "magnet" not in history and "summary" not in history


def test_concurrent_writers_lose_no_run(data_dir: Path) -> None:
    def write(n: int) -> None:
        append_sync_history(data_dir, _record(n))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["run_id"] for r in read_sync_history(data_dir)) == sorted(
        f"run-{n}" for n in range(8)
    )


def test_no_history_before_the_first_run(data_dir: Path) -> None:
    assert read_sync_history(data_dir) == []
