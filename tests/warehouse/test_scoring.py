"""Scoring and ranking: the properties docs/ranking.md promises, polars == plain Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.scoring import (
    COMPONENTS,
    DEAD_SWARM,
    STALL_POINTS,
    score_sources,
    score_sources_python,
)

AS_OF = datetime(2025, 6, 1)
SCHEMA: dict[str, Any] = {
    "info_hash": pl.String,
    "tmdb_id": pl.Int64,
    "resolution": pl.Int32,
    "is_3d": pl.Boolean,
    "source_type": pl.String,
    "video_codec": pl.String,
    "bit_depth": pl.Int32,
    "audio_channels": pl.Float64,
    "size_bytes": pl.Int64,
    "seeds": pl.Int32,
    "peers": pl.Int32,
    "uploaded_at": pl.Datetime("us"),
    "is_repack": pl.Boolean,
    "runtime_min": pl.Int32,
    "stalls_7d": pl.Int32,
    "failures_7d": pl.Int32,
    "engine_peers_7d": pl.Int32,
}
OUTPUT = ["bitrate_mbps", *(f"c_{c}" for c in COMPONENTS), "available", "score_web", "score_tv"]
RANKS = ["rank_web", "rank_tv"]
_counter = iter(range(10**9))


def source(**overrides: Any) -> dict[str, Any]:
    """A healthy 1080p x264 BluRay encode of a 2 h movie, 1 year old."""
    row: dict[str, Any] = {
        "info_hash": f"{next(_counter):040x}",
        "tmdb_id": 1,
        "resolution": 1080,
        "is_3d": False,
        "source_type": "bluray",
        "video_codec": "x264",
        "bit_depth": 8,
        "audio_channels": 5.1,
        "size_bytes": 2_000_000_000,
        "seeds": 100,
        "peers": 30,
        "uploaded_at": AS_OF - timedelta(days=365),
        "is_repack": False,
        "runtime_min": 120,
    }
    row.update(overrides)
    return row


def score(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Polars scoring, by info_hash."""
    frame = score_sources(pl.DataFrame(rows, schema=SCHEMA).lazy(), AS_OF).collect()
    return {row["info_hash"]: row for row in frame.iter_rows(named=True)}


def ranked(rows: list[dict[str, Any]], profile: str) -> list[str]:
    """info_hashes of the playable sources in rank order."""
    scored = score(rows)
    playable = [h for h, r in scored.items() if r[f"rank_{profile}"] is not None]
    return sorted(playable, key=lambda h: scored[h][f"rank_{profile}"])


def test_healthy_1080p_bluray_beats_720p_on_both_profiles() -> None:
    best = source()
    lower = source(resolution=720, size_bytes=1_000_000_000)
    for profile in ("web", "tv"):
        assert ranked([lower, best], profile) == [best["info_hash"], lower["info_hash"]]


def test_900_vs_1000_seeders_is_the_same_bucket_so_quality_decides() -> None:
    web_1000 = source(seeds=1000, source_type="web")
    bluray_900 = source(seeds=900, source_type="bluray")
    scored = score([web_1000, bluray_900])
    assert scored[web_1000["info_hash"]]["c_health"] == scored[bluray_900["info_hash"]]["c_health"]
    assert ranked([web_1000, bluray_900], "web")[0] == bluray_900["info_hash"]


def test_a_swarm_that_cannot_stream_loses_to_lower_quality() -> None:
    starving = source(resolution=2160, video_codec="x265", bit_depth=10, seeds=2, peers=0)
    healthy = source(resolution=720, size_bytes=900_000_000, seeds=60)
    assert ranked([starving, healthy], "tv") == [healthy["info_hash"], starving["info_hash"]]


def test_zero_seeders_unseen_by_the_engine_is_unavailable_and_unranked() -> None:
    dead = source(resolution=2160, video_codec="x265", bit_depth=10, seeds=0, peers=500)
    weak = source(resolution=480, source_type=None, seeds=1, peers=0, is_3d=True)
    assert ranked([dead, weak], "tv") == [weak["info_hash"]]
    scored = score([dead, weak])[dead["info_hash"]]
    assert scored["c_health"] == DEAD_SWARM
    assert scored["available"] is False and scored["rank_tv"] is None
    assert scored["score_tv"] is not None  # still scored: the explanation shows why


def test_zero_seeders_seen_by_the_engine_ranks_last_even_at_best_quality() -> None:
    dead = source(resolution=2160, video_codec="x265", bit_depth=10, seeds=0, peers=500)
    dead["engine_peers_7d"] = 3
    weak = source(resolution=480, source_type=None, seeds=1, peers=0, is_3d=True)
    weak["stalls_7d"], weak["failures_7d"] = 9, 9  # the worst reliability still beats no swarm
    assert ranked([dead, weak], "tv") == [weak["info_hash"], dead["info_hash"]]


def test_a_source_that_stalled_twice_this_week_loses_to_a_reliable_one() -> None:
    stalling = source(info_hash="a" * 40, source_type="bluray")
    stalling["stalls_7d"] = 2
    reliable = source(info_hash="b" * 40, source_type="web")
    got = score([stalling, reliable])
    assert got["a" * 40]["c_reliability"] == 2 * STALL_POINTS
    assert got["b" * 40]["c_reliability"] == 0.0
    for profile in ("web", "tv"):
        assert ranked([stalling, reliable], profile) == ["b" * 40, "a" * 40]


def test_x265_is_not_playable_on_web_but_ranked_and_preferred_at_2160p_on_tv() -> None:
    uhd = source(resolution=2160, video_codec="x265", bit_depth=10, size_bytes=7_000_000_000)
    hd = source()
    scored = score([uhd, hd])
    assert scored[uhd["info_hash"]]["score_web"] is None
    assert scored[uhd["info_hash"]]["rank_web"] is None
    assert scored[hd["info_hash"]]["rank_web"] == 1
    assert ranked([uhd, hd], "tv") == [uhd["info_hash"], hd["info_hash"]]


def test_10_bit_h264_is_not_playable_on_web() -> None:
    hi10p = source(bit_depth=10)
    assert score([hi10p])[hi10p["info_hash"]]["score_web"] is None


def test_3d_ranks_below_the_same_encode_in_2d() -> None:
    flat, three_d = source(), source(is_3d=True)
    for profile in ("web", "tv"):
        assert ranked([three_d, flat], profile) == [flat["info_hash"], three_d["info_hash"]]


def test_repack_gets_a_small_bonus_and_age_a_bounded_malus() -> None:
    base = source()
    repack = source(is_repack=True)
    ancient = source(uploaded_at=AS_OF - timedelta(days=365 * 40))
    future = source(uploaded_at=AS_OF + timedelta(days=30))
    scored = score([base, repack, ancient, future])
    assert scored[repack["info_hash"]]["score_tv"] > scored[base["info_hash"]]["score_tv"]
    assert scored[ancient["info_hash"]]["c_age"] == -5.0
    assert scored[future["info_hash"]]["c_age"] == 0.0
    assert -1.0 < scored[base["info_hash"]]["c_age"] < 0.0


def test_bitrate_fit_neutral_when_runtime_unknown_and_penalised_outside_the_band() -> None:
    unknown = source(runtime_min=None)
    zero = source(runtime_min=0)
    fits = source()  # 2 GB / 120 min = 2.2 Mbit/s for 1080p
    starved = source(size_bytes=200_000_000)  # 0.2 Mbit/s
    bloated = source(size_bytes=60_000_000_000)  # 66 Mbit/s
    scored = score([unknown, zero, fits, starved, bloated])
    assert scored[unknown["info_hash"]]["bitrate_mbps"] is None
    assert scored[unknown["info_hash"]]["c_bitrate"] == scored[zero["info_hash"]]["c_bitrate"] == 0
    assert scored[fits["info_hash"]]["bitrate_mbps"] == pytest.approx(2e9 * 8 / (120 * 60) / 1e6)
    assert scored[fits["info_hash"]]["c_bitrate"] > 0
    assert scored[starved["info_hash"]]["c_bitrate"] < 0
    assert scored[bloated["info_hash"]]["c_bitrate"] == -20.0


def test_equal_scores_tie_break_on_seeds_then_hash_whatever_the_input_order() -> None:
    a = source(info_hash="a" * 40, seeds=150)
    b = source(info_hash="b" * 40, seeds=150)
    c = source(info_hash="c" * 40, seeds=400)  # same bucket, more seeds: first
    for order in ([a, b, c], [c, b, a], [b, c, a]):
        assert ranked(order, "web") == ["c" * 40, "a" * 40, "b" * 40]


def test_hashes_differing_only_in_the_last_digits_tie_break_in_string_order() -> None:
    # The polars ranking reads a hash as a 128-bit prefix and a 32-bit suffix; ties on the
    # prefix (and on every other key) must still fall back to the full string order.
    prefix = "f" * 32
    hashes = [prefix + suffix for suffix in ("0000000a", "00000009", "ffffffff", "00000000")]
    hashes.append("0" * 31 + "1" + "00000000")
    rows = [source(info_hash=h) for h in hashes]
    for order in (rows, rows[::-1]):
        assert ranked(order, "tv") == sorted(hashes)
        assert ranked(order, "web") == sorted(hashes)


def test_ranks_do_not_depend_on_input_row_order_under_many_ties() -> None:
    rows = [
        source(
            info_hash=f"{i % 7:02x}{i:038x}", tmdb_id=i % 3, seeds=(i % 4) * 60, is_3d=i % 5 == 0
        )
        for i in range(60)
    ]
    expected = {
        r["info_hash"]: (r["rank_web"], r["rank_tv"]) for r in score_sources_python(rows, AS_OF)
    }
    for order in (rows, rows[::-1], rows[1::2] + rows[::2]):
        got = {h: (r["rank_web"], r["rank_tv"]) for h, r in score(order).items()}
        assert got == expected


def test_sources_without_a_movie_id_rank_among_themselves_like_python() -> None:
    rows = [source(tmdb_id=None, seeds=s) for s in (5, 500, 50)] + [source(tmdb_id=2)]
    by_python = {r["info_hash"]: r["rank_tv"] for r in score_sources_python(rows, AS_OF)}
    assert {h: r["rank_tv"] for h, r in score(rows).items()} == by_python
    assert sorted(by_python.values()) == [1, 1, 2, 3]


@pytest.mark.parametrize("bad", ["a" * 39, "a" * 41, "g" * 40, "a" * 64, ""])
def test_an_info_hash_that_is_not_40_hex_digits_fails_the_collect(bad: str) -> None:
    with pytest.raises(pl.exceptions.ComputeError, match="not 40 hex digits"):
        score([source(), source(info_hash=bad)])


def test_empty_input_gives_empty_output_with_all_columns() -> None:
    frame = score_sources(pl.DataFrame([], schema=SCHEMA).lazy(), AS_OF).collect()
    assert frame.height == 0
    assert set(OUTPUT + RANKS) <= set(frame.columns)


# --- properties over random sources ----------------------------------------------------------

sources = st.fixed_dictionaries(
    {
        "info_hash": st.text("0123456789abcdef", min_size=40, max_size=40),
        "tmdb_id": st.integers(1, 4),
        "resolution": st.sampled_from([480, 720, 1080, 2160, 576]),
        "is_3d": st.booleans(),
        "source_type": st.sampled_from(["bluray", "web", None]),
        "video_codec": st.sampled_from(["x264", "x265", None]),
        "bit_depth": st.sampled_from([8, 10, 12, None]),
        "audio_channels": st.sampled_from([1.0, 2.0, 5.1, 7.1, 6.0, None]),
        "size_bytes": st.integers(1, 10**12),
        "seeds": st.integers(0, 2**31 - 1),
        "peers": st.integers(0, 5000),
        "uploaded_at": st.none()
        | st.datetimes(datetime(1990, 1, 1), datetime(2040, 1, 1)).map(
            lambda d: d.replace(microsecond=d.microsecond)
        ),
        "is_repack": st.booleans(),
        "runtime_min": st.none() | st.integers(0, 100_000),
        "stalls_7d": st.none() | st.integers(0, 6),
        "failures_7d": st.none() | st.integers(0, 6),
        "engine_peers_7d": st.none() | st.integers(0, 60),
    }
)
batches = st.lists(sources, min_size=1, max_size=40, unique_by=lambda s: s["info_hash"])


@settings(max_examples=150, deadline=None)
@given(batches)
def test_polars_and_python_give_identical_scores_and_ranks(rows: list[dict[str, Any]]) -> None:
    by_polars = score(rows)
    by_python = {r["info_hash"]: r for r in score_sources_python(rows, AS_OF)}
    assert by_polars.keys() == by_python.keys()
    for info_hash, expected in by_python.items():
        got = by_polars[info_hash]
        assert {k: got[k] for k in OUTPUT + RANKS} == {k: expected[k] for k in OUTPUT + RANKS}


@settings(max_examples=100, deadline=None)
@given(batches)
def test_ranks_are_1_to_n_per_movie_over_playable_sources(rows: list[dict[str, Any]]) -> None:
    for profile in ("web", "tv"):
        per_movie: dict[int, list[int]] = defaultdict(list)
        for row in score(rows).values():
            unranked = row[f"score_{profile}"] is None or not row["available"]
            assert (row[f"rank_{profile}"] is None) == unranked
            if row[f"rank_{profile}"] is not None:
                per_movie[row["tmdb_id"]].append(row[f"rank_{profile}"])
        for ranks in per_movie.values():
            assert sorted(ranks) == list(range(1, len(ranks) + 1))


@settings(max_examples=100, deadline=None)
@given(sources, sources)
def test_a_dead_swarm_scores_below_any_live_one(dead: dict[str, Any], live: dict[str, Any]) -> None:
    dead = {**dead, "seeds": 0, "info_hash": "0" * 40}
    live = {**live, "seeds": max(live["seeds"], 1), "info_hash": "1" * 40}
    scored = score([dead, live])
    for profile in ("web", "tv"):
        low, high = scored["0" * 40][f"score_{profile}"], scored["1" * 40][f"score_{profile}"]
        if low is not None and high is not None:
            assert low < high
