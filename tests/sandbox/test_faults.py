"""Fault injection: knob validation, rates, 429 bursts, dead mirrors, slow and malformed answers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from sandbox.catalogue import SyntheticCatalogue
from sandbox.errors import SandboxError
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from sandbox.faults import (
    DEAD_MIRROR,
    MALFORMED,
    RATE_LIMITED,
    SERVER_ERROR,
    SLOW,
    FaultConfig,
    FaultInjector,
)


@pytest.fixture(scope="module")
def catalogue() -> SyntheticCatalogue:
    return SyntheticCatalogue(100, seed=3)


@pytest.fixture
def upstream(catalogue: SyntheticCatalogue) -> Iterator[RunningUpstream]:
    with start_fake_upstream(UpstreamConfig(catalogue=catalogue, yts_mirrors=2)) as running:
        yield running


def _details_url(running: RunningUpstream, catalogue: SyntheticCatalogue, n: int = 0) -> str:
    return f"{running.tmdb_url}/3/movie/{catalogue.tmdb_ids[n % len(catalogue.tmdb_ids)]}"


# --- the knobs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_rate": -0.1},
        {"error_rate": 1.5},
        {"slow_rate": 2.0},
        {"malformed_rate": -1.0},
        {"error_rate": 0.6, "malformed_rate": 0.6},
        {"rate_limit_burst_every": -1},
        {"rate_limit_burst_len": 0},
        {"retry_after_s": -1},
        {"slow_seconds": -0.5},
    ],
)
def test_fault_config_rejects_impossible_knobs(kwargs: dict[str, float]) -> None:
    with pytest.raises(SandboxError):
        FaultConfig(**kwargs)  # type: ignore[arg-type]


def test_dead_mirror_names_are_normalized() -> None:
    config = FaultConfig(dead_mirrors={"/yts", "yts-mirror2/"})  # type: ignore[arg-type]
    assert config.dead_mirrors == frozenset({"yts", "yts-mirror2"})
    assert not FaultConfig().active and config.active


def test_rates_are_roughly_honoured_and_deterministic_per_seed() -> None:
    config = FaultConfig(error_rate=0.2, slow_rate=0.1, malformed_rate=0.05, seed=9)
    runs = []
    for _ in range(2):
        injector = FaultInjector(config)
        runs.append([injector.decide() for _ in range(5000)])
    assert runs[0] == runs[1]
    kinds = Counter(f.kind if f else "none" for f in runs[0])
    assert 850 < kinds[SERVER_ERROR] < 1150
    assert 400 < kinds[SLOW] < 600
    assert 170 < kinds[MALFORMED] < 330
    statuses = {f.status for f in runs[0] if f and f.kind == SERVER_ERROR}
    assert statuses == {500, 502, 503}
    other = FaultInjector(FaultConfig(error_rate=0.2, slow_rate=0.1, malformed_rate=0.05, seed=10))
    assert [other.decide() for _ in range(5000)] != runs[0]


def test_every_nth_request_starts_a_burst_of_429() -> None:
    injector = FaultInjector(FaultConfig(rate_limit_burst_every=10, rate_limit_burst_len=3))
    limited = [n for n in range(1, 41) if (f := injector.decide()) and f.kind == RATE_LIMITED]
    assert limited == [10, 11, 12, 20, 21, 22, 30, 31, 32, 40]


def test_no_faults_without_knobs() -> None:
    injector = FaultInjector(FaultConfig())
    assert all(injector.decide("yts") is None for _ in range(1000))


# --- over HTTP -------------------------------------------------------------------------------
def test_server_errors_are_injected_at_the_configured_rate(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(FaultConfig(error_rate=0.3, seed=1))
    statuses: Counter[int] = Counter()
    with httpx.Client() as client:
        for n in range(300):
            response = client.get(_details_url(upstream, catalogue, n))
            statuses[response.status_code] += 1
            if response.status_code == 500:
                assert response.json()["status_code"] == 11
            elif response.status_code == 503:
                assert response.json()["status_code"] == 9
            elif response.status_code == 502:
                assert response.headers["content-type"].startswith("text/html")
    errors = statuses[500] + statuses[502] + statuses[503]
    assert 55 < errors < 125
    assert errors + statuses[200] == 300
    assert upstream.stats.snapshot()["faults"] == {SERVER_ERROR: errors}


def test_rate_limit_bursts_carry_retry_after(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(
        FaultConfig(rate_limit_burst_every=5, rate_limit_burst_len=2, retry_after_s=3)
    )
    with httpx.Client() as client:
        tmdb = [client.get(_details_url(upstream, catalogue, n)) for n in range(10)]
        yts = client.get(f"{upstream.yts_urls[0]}/api/v2/list_movies.json")  # request 11
        trakt = [client.get(f"{upstream.trakt_url}/lists/trending") for _ in range(4)]  # 12-15
    assert [r.status_code for r in tmdb] == [200, 200, 200, 200, 429, 429, 200, 200, 200, 429]
    for response in (tmdb[4], tmdb[5], tmdb[9]):
        assert response.headers["retry-after"] == "3"
        assert response.json() == {
            "success": False,
            "status_code": 25,
            "status_message": "Your request count (#) is over the allowed limit of (40).",
        }
    assert yts.status_code == 429 and yts.headers["retry-after"] == "3"
    assert [r.status_code for r in trakt] == [200, 200, 200, 429]
    assert upstream.stats.snapshot()["faults"] == {RATE_LIMITED: 5}


def test_retry_after_zero_is_allowed_for_fast_tests(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(FaultConfig(rate_limit_burst_every=1, retry_after_s=0))
    response = httpx.get(_details_url(upstream, catalogue))
    assert response.status_code == 429 and response.headers["retry-after"] == "0"


def test_a_dead_mirror_always_fails_while_the_others_answer(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(FaultConfig(dead_mirrors=frozenset({"yts"})))
    imdb = catalogue.demo_imdb_ids(1)[0]
    dead, alive = upstream.yts_urls
    with httpx.Client() as client:
        for _ in range(20):
            response = client.get(f"{dead}/api/v2/list_movies.json", params={"query_term": imdb})
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("text/html")
        ok = client.get(f"{alive}/api/v2/list_movies.json", params={"query_term": imdb})
        assert ok.status_code == 200 and ok.json()["status"] == "ok"
        assert client.get(f"{dead}/torrent/download/{'AB' * 20}").status_code == 503
    faults = upstream.stats.snapshot()["faults"]
    assert faults == {DEAD_MIRROR: 21}


def test_a_retried_request_eventually_succeeds(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(
        FaultConfig(error_rate=0.4, malformed_rate=0.2, rate_limit_burst_every=7, retry_after_s=0)
    )
    attempts = []
    with httpx.Client() as client:
        for n in range(15):
            url = _details_url(upstream, catalogue, n)
            for attempt in range(1, 60):
                response = client.get(url)
                if response.status_code == 200:
                    try:
                        body = response.json()
                    except json.JSONDecodeError:
                        continue
                    expected = catalogue.movie(catalogue.tmdb_ids[n])
                    assert expected is not None
                    assert (body["id"], body["title"]) == (expected["id"], expected["title"])
                    attempts.append(attempt)
                    break
            else:
                pytest.fail(f"{url} never succeeded")
    assert len(attempts) == 15 and max(attempts) > 1


def test_malformed_answers_are_truncated_json_with_status_200(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(FaultConfig(malformed_rate=1.0))
    url = _details_url(upstream, catalogue)
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    upstream.set_faults(FaultConfig())
    whole = httpx.get(url).content
    assert whole.startswith(response.content) and len(response.content) < len(whole)


def test_slow_answers_outlast_the_client_timeout(
    upstream: RunningUpstream, catalogue: SyntheticCatalogue
) -> None:
    upstream.set_faults(FaultConfig(slow_rate=1.0, slow_seconds=1.5))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(_details_url(upstream, catalogue), timeout=0.3)
    late = httpx.get(_details_url(upstream, catalogue, 1), timeout=10)
    assert late.status_code == 200
    assert upstream.stats.snapshot()["faults"] == {SLOW: 2}


def test_faults_apply_to_every_service(upstream: RunningUpstream) -> None:
    upstream.set_faults(FaultConfig(error_rate=1.0, seed=4))
    with httpx.Client() as client:
        urls = [
            f"{upstream.tmdb_url}/3/configuration",
            f"{upstream.yts_urls[1]}/api/v2/list_movies.json",
            f"{upstream.trakt_url}/lists/popular",
        ]
        assert all(client.get(url).status_code in (500, 502, 503) for url in urls)
        device = client.post(f"{upstream.trakt_url}/oauth/device/code", json={})
        assert device.status_code in (500, 502, 503)


def test_faults_given_at_start_override_the_config(catalogue: SyntheticCatalogue) -> None:
    config = UpstreamConfig(catalogue=catalogue, faults=FaultConfig(error_rate=1.0))
    with start_fake_upstream(config, faults=FaultConfig()) as running:
        assert httpx.get(f"{running.tmdb_url}/3/configuration").status_code == 200
        assert running.upstream.faults == FaultConfig()
