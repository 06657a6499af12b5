"""The scrape run end to end: published hashes in a real DuckDB, the sandbox's HTTP and UDP
trackers on loopback, volatility scheduling across runs, and no info hash outside the
warehouse's published tables."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from core.catalog.contract import source_id_for
from core.crypto import Keyring
from core.settings import Settings
from flows.deployments import SCRAPE_EVERY
from flows.scrape import ScrapeSummary, pick_due, run_scrape, scrape_trackers
from flows.scrape_schedule import FIRST_INTERVAL
from sandbox.tracker import Tracker
from sandbox.udp_tracker import UdpTracker
from tests.flows.scrape_helpers import hash_of, join_swarm, scripted_udp
from warehouse.db import open_warehouse
from warehouse.source_stats import Scheduled

T0 = datetime(2026, 5, 1, 12, 0)
PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


@pytest.fixture
def trackers() -> Iterator[tuple[Tracker, UdpTracker]]:
    with Tracker() as http, UdpTracker(http.registry) as udp:
        yield http, udp


def publish(settings: Settings, hashes: list[bytes]) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open_warehouse(settings) as con:
        con.execute("CREATE TABLE mart_sources (info_hash VARCHAR NOT NULL)")
        con.executemany("INSERT INTO mart_sources VALUES (?)", [[h.hex()] for h in hashes])


def scrape(settings: Settings, run_id: str, trackers: list[str], now: datetime) -> ScrapeSummary:
    return asyncio.run(
        run_scrape(settings, run_id, trackers=trackers, now=now, rng=random.Random(1))
    )


def rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with open_warehouse(settings, read_only=True) as con:
        return con.execute(sql).fetchall()


def sid(settings: Settings, info_hash: bytes) -> str:
    keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
    return source_id_for(keyring, info_hash.hex())


def test_a_round_lands_counts_per_tracker_keyed_by_source_id(
    settings: Settings, trackers: tuple[Tracker, UdpTracker], caplog: pytest.LogCaptureFixture
) -> None:
    http, udp = trackers
    busy, quiet = hash_of(1), hash_of(2)
    publish(settings, [busy, quiet])
    join_swarm(http.registry, busy, seeders=7, leechers=3)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # other tests may have quieted it

    summary = scrape(settings, "s1", [http.announce_url, udp.announce_url], T0)

    assert (summary.published, summary.due, summary.rows) == (2, 2, 4)
    landed = rows(
        settings,
        "SELECT source_id, tracker, status, seeders, leechers FROM raw_source_stats "
        "ORDER BY source_id, tracker",
    )
    http_label, udp_label = f"http://127.0.0.1:{http.port}", f"udp://127.0.0.1:{udp.port}"
    assert set(landed) == {
        (sid(settings, busy), http_label, "ok", 7, 3),
        (sid(settings, busy), udp_label, "ok", 7, 3),
        (sid(settings, quiet), http_label, "missing", None, None),
        (sid(settings, quiet), udp_label, "ok", 0, 0),
    }
    everything = " ".join(map(str, landed)) + caplog.text + repr(summary)
    assert "HTTP Request" in caplog.text and "info_hash" not in caplog.text
    for info_hash in (busy, quiet):
        assert info_hash.hex() not in everything.lower()


def test_sources_are_rescraped_by_volatility(
    settings: Settings, trackers: tuple[Tracker, UdpTracker]
) -> None:
    http, _ = trackers
    calm, swinging = hash_of(1), hash_of(2)
    publish(settings, [calm, swinging])
    join_swarm(http.registry, calm, seeders=50, leechers=5)
    join_swarm(http.registry, swinging, seeders=2, leechers=0)
    urls = [http.announce_url]

    scrape(settings, "s1", urls, T0)
    assert scrape(settings, "s2", urls, T0 + timedelta(minutes=20)).due == 0  # nothing due

    join_swarm(http.registry, swinging, seeders=8, leechers=0)  # 2 -> 8 seeders
    later = T0 + 2 * FIRST_INTERVAL
    assert scrape(settings, "s3", urls, later).due == 2
    schedule = dict(rows(settings, "SELECT source_id, interval_s FROM source_scrape_schedule"))
    assert schedule[sid(settings, calm)] == 2 * FIRST_INTERVAL.total_seconds()
    assert schedule[sid(settings, swinging)] == FIRST_INTERVAL.total_seconds() / 2
    history = rows(settings, "SELECT count(DISTINCT run_id) FROM raw_source_stats")
    assert history == [(2,)]  # the history analysts chart: one round per run that scraped


def test_a_silent_tracker_is_recorded_as_an_error_and_the_others_still_count(
    settings: Settings, trackers: tuple[Tracker, UdpTracker]
) -> None:
    http, _ = trackers
    publish(settings, [hash_of(3)])
    join_swarm(http.registry, hash_of(3), seeders=1, leechers=1)
    with scripted_udp(lambda packet: None) as silent:
        summary = scrape(settings, "s1", [silent, http.announce_url], T0)
    assert summary.scraped == 1
    statuses = {t: c for t, c in summary.trackers.items()}
    assert statuses[f"http://127.0.0.1:{http.port}"]["ok"] == 1
    assert [c["error"] for t, c in statuses.items() if t.startswith("udp://")] == [1]
    errors = rows(settings, "SELECT error FROM raw_source_stats WHERE status = 'error'")
    assert errors and "no answer" in str(errors[0][0])


def test_nothing_published_means_nothing_asked(settings: Settings) -> None:
    summary = asyncio.run(run_scrape(settings, "s0", trackers=["udp://127.0.0.1:9/announce"]))
    assert (summary.published, summary.due, summary.rows) == (0, 0, 0)


def test_never_scraped_sources_go_first_then_the_most_overdue() -> None:
    def at(minutes: int) -> Scheduled:
        return Scheduled("x", 900, T0 + timedelta(minutes=minutes), 1, 1)

    schedule = {"a": at(-5), "b": at(-50), "c": at(+5)}
    assert pick_due(["a", "b", "c", "d"], schedule, T0, 10) == ["d", "b", "a"]
    assert pick_due(["a", "b", "c", "d"], schedule, T0, 2) == ["d", "b"]


def test_the_trackers_asked_are_the_magnets_plus_the_configured_ones(settings: Settings) -> None:
    extra = settings.model_copy(update={"engine_trackers": ["http://127.0.0.1:1/announce"]})
    trackers = scrape_trackers(extra)
    assert trackers[0] == "http://127.0.0.1:1/announce"
    assert any(t.startswith("udp://tracker.opentrackr.org") for t in trackers)
    chosen = ["udp://127.0.0.1:2/announce", "http://127.0.0.1:3/announce"]
    only = settings.model_copy(update={"scrape_trackers": chosen, "engine_trackers": ["x"]})
    assert scrape_trackers(only) == chosen


def test_the_scrape_deployment_is_declared_in_prefect_yaml() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]
    scrape_items = [d for d in declared if d["entrypoint"] == "flows/scrape.py:scrape_flow"]
    assert [d["schedules"] for d in scrape_items] == [
        [{"interval": int(SCRAPE_EVERY.total_seconds())}]
    ]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_the_scrape_flow_runs_as_a_prefect_flow_with_its_task(
    settings: Settings, trackers: tuple[Tracker, UdpTracker], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.scrape import scrape_flow

    http, _ = trackers
    publish(settings, [hash_of(4)])
    join_swarm(http.registry, hash_of(4), seeders=2, leechers=0)
    monkeypatch.setenv("MIAUFLIX_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MIAUFLIX_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("MIAUFLIX_SCRAPE_TRACKERS", http.announce_url)
    result = asyncio.run(scrape_flow())
    assert (result["published"], result["scraped"]) == (1, 1)
    assert rows(settings, "SELECT DISTINCT run_id FROM raw_source_stats") == [(result["run_id"],)]
