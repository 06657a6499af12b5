"""Score and rank torrent sources for streaming, per device profile (see docs/ranking.md).

Two implementations of one formula: :func:`score_sources` (polars, ``LazyFrame ->
LazyFrame``, what the warehouse runs) and :func:`score_sources_python` (a plain loop over
dicts: the benchmark baseline and the oracle of a property test). Both use only ``+ - * /``,
``min``/``max`` and comparisons in the same order, so they agree bit for bit.

Input columns: info_hash, tmdb_id, resolution, is_3d, source_type, video_codec, bit_depth,
audio_channels, size_bytes, seeds, peers, uploaded_at, is_repack, runtime_min. info_hash must be
40 lowercase hex digits (staging's pattern; other lengths or non-hex fail the collect).
Optional input columns (the engine's outcomes of the last 7 days, 0 when absent): stalls_7d,
failures_7d, engine_peers_7d (most peers the engine saw connected).
Added: bitrate_mbps, c_<component> (points), available (seeds > 0 or the engine saw a peer),
score_web/score_tv (NULL when the profile cannot play the source), rank_web/rank_tv (1 = best
playable *available* source of the movie; NULL when unplayable or unavailable).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

COMPONENTS: tuple[str, ...] = (
    "resolution",
    "codec",
    "source",
    "bit_depth",
    "audio",
    "bitrate",
    "health",
    "repack",
    "3d",
    "age",
    "reliability",
)
OUTCOME_COLUMNS: tuple[str, ...] = ("stalls_7d", "failures_7d", "engine_peers_7d")
PROFILES: dict[str, dict[str, float]] = {
    # A browser plays H.264 8-bit only; it cannot transcode, so bitrate fit weighs more and
    # surround audio (downmixed to stereo by the browser) weighs less.
    "web": {
        "resolution": 1.0,
        "codec": 1.0,
        "source": 1.0,
        "bit_depth": 1.0,
        "audio": 0.5,
        "bitrate": 1.5,
        "health": 1.0,
        "repack": 1.0,
        "3d": 1.0,
        "age": 1.0,
        "reliability": 1.0,
    },
    # A TV decodes HEVC 10-bit in hardware and has a surround system more often.
    "tv": {name: 1.0 for name in COMPONENTS},
}

RESOLUTION_POINTS: dict[int, float] = {480: 0.0, 720: 20.0, 1080: 35.0, 2160: 45.0}
SOURCE_POINTS: dict[str, float] = {"bluray": 10.0, "web": 6.0}
# Bitrate band (Mbit/s) per resolution in which an encode looks right and still streams.
BITRATE_BAND: dict[int, tuple[float, float]] = {
    480: (0.5, 2.5),
    720: (0.8, 4.0),
    1080: (1.5, 8.0),
    2160: (4.0, 25.0),
}
DEFAULT_BAND = BITRATE_BAND[1080]
BITRATE_IN_BAND, BITRATE_FLOOR = 5.0, -20.0
BITRATE_LOW_SLOPE, BITRATE_HIGH_SLOPE = 25.0, 12.5
# Swarm health: (minimum seeds, points). A stream needs throughput *now*: 0 seeds cannot
# start, 1-2 stall; past 100 seeds more does not make it faster, so the scale saturates.
SEED_BUCKETS: tuple[tuple[int, float], ...] = (
    (100, 9.0),
    (50, 7.0),
    (20, 4.0),
    (10, 0.0),
    (5, -8.0),
    (3, -25.0),
    (1, -60.0),
)
DEAD_SWARM = -250.0  # below any combination of the other components: ranks last
PEER_BUCKETS: tuple[tuple[int, float], ...] = ((50, 3.0), (10, 2.0), (1, 1.0))
REPACK_POINTS, THREE_D_POINTS = 3.0, -30.0
AGE_POINTS_PER_YEAR, AGE_MAX_YEARS = -0.5, 10.0
# What the engine saw in the last 7 days: each stall and each failed start (metadata timeout,
# unreachable torrent, no playable file) costs points, bounded so a live swarm still ranks
# above a dead one (144 + 40 < 250 - 60, see docs/ranking.md).
STALL_POINTS, FAILURE_POINTS, RELIABILITY_FLOOR = -10.0, -20.0, -40.0
# Literal divisions are written as multiplications: polars rewrites ``x / lit`` into
# ``x * (1 / lit)``, which would differ from Python in the last bit.
YEARS_PER_US = 1.0 / (365.25 * 86_400 * 1_000_000)
BYTES_PER_MINUTE_TO_MBPS = 7_500_000.0  # size*8 / (min*60) / 1e6 == size / (min * 7.5e6)


def _bucket(column: str, buckets: tuple[tuple[int, float], ...], default: float) -> pl.Expr:
    col = pl.col(column)
    expr: Any = pl
    for minimum, points in buckets:
        expr = expr.when(col >= minimum).then(pl.lit(points))
    return expr.otherwise(pl.lit(default))


def _lookup(column: str, table: dict[Any, float], default: float) -> pl.Expr:
    return (
        pl.col(column)
        .replace_strict(list(table), list(table.values()), default=default, return_dtype=pl.Float64)
        .fill_null(default)
    )


def _components(as_of: datetime, source_points: dict[str, float]) -> list[pl.Expr]:
    res, codec, depth = pl.col("resolution"), pl.col("video_codec"), pl.col("bit_depth")
    uhd = res >= 2160
    low = pl.col("resolution").replace_strict(
        list(BITRATE_BAND), [b[0] for b in BITRATE_BAND.values()], default=DEFAULT_BAND[0]
    )
    high = pl.col("resolution").replace_strict(
        list(BITRATE_BAND), [b[1] for b in BITRATE_BAND.values()], default=DEFAULT_BAND[1]
    )
    rate = pl.col("bitrate_mbps")
    channels = pl.col("audio_channels")
    age_us = (pl.lit(as_of) - pl.col("uploaded_at")).dt.total_microseconds()
    return [
        _lookup("resolution", RESOLUTION_POINTS, 0.0).alias("c_resolution"),
        pl.when(codec == "x265")
        .then(pl.when(uhd).then(10.0).otherwise(3.0))
        .when(codec == "x264")
        .then(pl.when(uhd).then(-5.0).otherwise(0.0))
        .otherwise(-2.0)
        .alias("c_codec"),
        _lookup("source_type", source_points, 0.0).alias("c_source"),
        pl.when(depth >= 10)
        .then(pl.when(uhd).then(5.0).otherwise(1.0))
        .otherwise(0.0)
        .alias("c_bit_depth"),
        pl.when(channels.is_null())
        .then(0.0)
        .when(channels < 2)
        .then(-1.0)
        .when(channels < 5)
        .then(0.0)
        .when(channels < 7)
        .then(4.0)
        .otherwise(5.0)
        .alias("c_audio"),
        pl.when(rate.is_null())
        .then(0.0)
        .when(rate < low)
        .then(BITRATE_IN_BAND - BITRATE_LOW_SLOPE * (1.0 - rate / low))
        .when(rate > high)
        .then(
            pl.max_horizontal(
                pl.lit(BITRATE_FLOOR),
                BITRATE_IN_BAND - BITRATE_HIGH_SLOPE * (rate / high - 1.0),
            )
        )
        .otherwise(BITRATE_IN_BAND)
        .alias("c_bitrate"),
        pl.when(pl.col("seeds") <= 0)
        .then(DEAD_SWARM)
        .otherwise(_bucket("seeds", SEED_BUCKETS, DEAD_SWARM) + _bucket("peers", PEER_BUCKETS, 0.0))
        .alias("c_health"),
        pl.when(pl.col("is_repack")).then(REPACK_POINTS).otherwise(0.0).alias("c_repack"),
        pl.when(pl.col("is_3d")).then(THREE_D_POINTS).otherwise(0.0).alias("c_3d"),
        pl.when(pl.col("uploaded_at").is_null())
        .then(0.0)
        .otherwise(
            AGE_POINTS_PER_YEAR
            * (age_us.clip(lower_bound=0).cast(pl.Float64) * YEARS_PER_US).clip(
                upper_bound=AGE_MAX_YEARS
            )
        )
        .alias("c_age"),
        pl.max_horizontal(
            pl.lit(RELIABILITY_FLOOR),
            STALL_POINTS * pl.col("stalls_7d").cast(pl.Float64)
            + FAILURE_POINTS * pl.col("failures_7d").cast(pl.Float64),
        ).alias("c_reliability"),
    ]


def _weighted(profile: str, extra: tuple[str, ...] = ()) -> pl.Expr:
    weights = PROFILES[profile]
    total = weights[COMPONENTS[0]] * pl.col(f"c_{COMPONENTS[0]}")
    for name in COMPONENTS[1:]:
        total = total + weights[name] * pl.col(f"c_{name}")
    for name in extra:  # components of one kind of source (e.g. TV's pack), weight 1
        total = total + pl.col(f"c_{name}")
    return total


def _playable(profile: str) -> pl.Expr:
    if profile == "web":
        codec_ok = pl.col("video_codec").is_null() | (pl.col("video_codec") == "x264")
        depth_ok = pl.col("bit_depth").is_null() | (pl.col("bit_depth") <= 8)
        return codec_ok & depth_ok
    return pl.lit(True)


def _default_as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return as_of.astimezone(UTC).replace(tzinfo=None) if as_of.tzinfo else as_of


def score_sources(
    sources: pl.LazyFrame,
    as_of: datetime | None = None,
    *,
    source_points: dict[str, float] = SOURCE_POINTS,
    extra: tuple[str, ...] = (),
) -> pl.LazyFrame:
    """Add bitrate, components, per-profile scores and per-movie ranks (pure, lazy).

    ``tmdb_id`` is the ranking group (episode sources pass an episode key). ``extra`` names
    components whose ``c_<name>`` columns the caller computed; they add to every profile's
    score with weight 1. ``source_points`` replaces the source-type table (TV knows HDTV).
    """
    now = _default_as_of(as_of)
    runtime = pl.col("runtime_min")
    present = sources.collect_schema().names()
    missing = [pl.lit(0, dtype=pl.Int64).alias(c) for c in OUTCOME_COLUMNS if c not in present]
    if missing:
        sources = sources.with_columns(missing)
    outcomes = [pl.col(c).fill_null(0) for c in OUTCOME_COLUMNS if c in present]
    if outcomes:
        sources = sources.with_columns(outcomes)
    scored = (
        sources.with_columns(
            pl.when(runtime.is_not_null() & (runtime > 0))
            .then(
                pl.col("size_bytes").cast(pl.Float64)
                / (runtime.cast(pl.Float64) * BYTES_PER_MINUTE_TO_MBPS)
            )
            .otherwise(None)
            .alias("bitrate_mbps")
        )
        .with_columns(_components(now, source_points))
        .with_columns(((pl.col("seeds") > 0) | (pl.col("engine_peers_7d") > 0)).alias("available"))
        .with_columns(
            pl.when(_playable(p)).then(_weighted(p, extra)).otherwise(None).alias(f"score_{p}")
            for p in PROFILES
        )
        .with_columns(_movie_start(), _hash_prefix_rank(), _hash_suffix())
        .with_columns(_tiebreak())
    )
    return scored.with_columns(_rank(p) for p in PROFILES).drop(
        "_movie", "_hash_hi", "_hash_lo", "_tiebreak"
    )


# Ranking without string sorts or ``.over()`` group-bys: every row gets one UInt128 key per
# profile whose integer order is the order (movie, score desc, seeds desc, info_hash asc), so a
# single ``rank("ordinal")`` of that key is the row's position in the sorted table, and the
# rank within its movie is that position minus where the movie's run starts. Exact for inputs
# of fewer than 2**32 rows and info hashes of 40 lowercase hex digits (staging's pattern).
_U32, _U64, _U128 = pl.UInt32, pl.UInt64, pl.UInt128
_SIGN = 1 << 63
_LOW_63 = _SIGN - 1
_NULL_SCORE_KEY = (1 << 64) - 1  # above the key of every real score: unplayable rows go last


def _shift(expr: pl.Expr, bits: int) -> pl.Expr:
    """``expr << bits`` for a UInt128 (the fields packed into one key never overlap)."""
    return expr * pl.lit(1 << bits, dtype=_U128)


def _wide(column: str) -> pl.Expr:
    return pl.col(column).cast(_U128)


def _movie_start() -> pl.Expr:
    """1-based position where the row's movie starts in tmdb_id order (NULL ids last)."""
    movie = pl.col("tmdb_id")
    return movie.rank("min").fill_null(movie.count() + 1).cast(_U32).alias("_movie")


def _hash_part(start: int, length: int, dtype: Any) -> pl.Expr:
    """Hex digits ``start:start+length`` of info_hash as an integer; anything but 40 chars of
    hex fails the collect (integers of equal-length lowercase hex order like the strings)."""
    info_hash = pl.col("info_hash")
    digits = (
        pl.when(info_hash.str.len_bytes() == 40)
        .then(info_hash.str.slice(start, length))
        .otherwise(pl.lit("info_hash is not 40 hex digits"))
    )
    return digits.str.to_integer(base=16, dtype=dtype, strict=True)


def _hash_prefix_rank() -> pl.Expr:
    """Dense rank (< 2**32) of the first 32 hex digits (128 bits) of the hash."""
    return _hash_part(0, 32, _U128).rank("dense").cast(_U32).alias("_hash_hi")


def _hash_suffix() -> pl.Expr:
    return _hash_part(32, 8, _U32).alias("_hash_lo")


def _tiebreak() -> pl.Expr:
    """0-based position of the row in the order (seeds desc, info_hash asc)."""
    seeds_desc = (pl.lit(2**31 - 1, dtype=pl.Int64) - pl.col("seeds").cast(pl.Int64)).cast(_U128)
    key = _shift(seeds_desc, 64) + _shift(_wide("_hash_hi"), 32) + _wide("_hash_lo")
    return (key.rank("ordinal") - 1).cast(_U32).alias("_tiebreak")


def _score_desc_key(profile: str) -> pl.Expr:
    """UInt64 whose ascending order is the score's descending order (NULL: the maximum).

    IEEE 754 bits of a non-negative double grow with its value and those of a negative one
    shrink; flipping the low 63 bits of the non-negative ones yields one descending order.
    """
    score = pl.when(pl.col("available")).then(pl.col(f"score_{profile}"))
    bits = pl.when(score == 0.0).then(0.0).otherwise(score).reinterpret(dtype=_U64)  # -0.0 == 0.0
    return (
        pl.when(bits >= _SIGN)
        .then(bits)
        .otherwise(bits ^ pl.lit(_LOW_63, dtype=_U64))
        .fill_null(pl.lit(_NULL_SCORE_KEY, dtype=_U64))
    )


def _rank(profile: str) -> pl.Expr:
    """1..n per movie over playable available rows: sorted position minus the movie's start
    (unavailable rows share the NULL key, so they sort after every ranked row)."""
    movie = _wide("_movie")
    key = _shift(movie, 96) + _shift(_score_desc_key(profile).cast(_U128), 32) + _wide("_tiebreak")
    rank = key.rank("ordinal").cast(pl.Int64) - movie.cast(pl.Int64) + 1
    return (
        pl.when(pl.col(f"score_{profile}").is_not_null() & pl.col("available"))
        .then(rank)
        .otherwise(None)
        .cast(pl.Int32)
        .alias(f"rank_{profile}")
    )


# --- the same formula, one dict at a time ----------------------------------------------------


def _bucket_py(value: int, buckets: tuple[tuple[int, float], ...], default: float) -> float:
    for minimum, points in buckets:
        if value >= minimum:
            return points
    return default


def _components_py(row: dict[str, Any], as_of: datetime) -> dict[str, float]:
    res, codec, depth = row["resolution"], row["video_codec"], row["bit_depth"]
    uhd = res is not None and res >= 2160
    if codec == "x265":
        c_codec = 10.0 if uhd else 3.0
    elif codec == "x264":
        c_codec = -5.0 if uhd else 0.0
    else:
        c_codec = -2.0
    channels = row["audio_channels"]
    if channels is None:
        c_audio = 0.0
    elif channels < 2:
        c_audio = -1.0
    elif channels < 5:
        c_audio = 0.0
    elif channels < 7:
        c_audio = 4.0
    else:
        c_audio = 5.0
    rate = row["bitrate_mbps"]
    low, high = BITRATE_BAND.get(res, DEFAULT_BAND)
    if rate is None:
        c_bitrate = 0.0
    elif rate < low:
        c_bitrate = BITRATE_IN_BAND - BITRATE_LOW_SLOPE * (1.0 - rate / low)
    elif rate > high:
        c_bitrate = max(BITRATE_FLOOR, BITRATE_IN_BAND - BITRATE_HIGH_SLOPE * (rate / high - 1.0))
    else:
        c_bitrate = BITRATE_IN_BAND
    seeds = row["seeds"]
    if seeds <= 0:
        c_health = DEAD_SWARM
    else:
        c_health = _bucket_py(seeds, SEED_BUCKETS, DEAD_SWARM) + _bucket_py(
            row["peers"], PEER_BUCKETS, 0.0
        )
    uploaded = row["uploaded_at"]
    if uploaded is None:
        c_age = 0.0
    else:
        age_us = max((as_of - uploaded) // timedelta(microseconds=1), 0)
        c_age = AGE_POINTS_PER_YEAR * min(float(age_us) * YEARS_PER_US, AGE_MAX_YEARS)
    stalls = float(row.get("stalls_7d") or 0)
    failures = float(row.get("failures_7d") or 0)
    return {
        "c_resolution": RESOLUTION_POINTS.get(res, 0.0),
        "c_codec": c_codec,
        "c_source": SOURCE_POINTS.get(row["source_type"], 0.0),
        "c_bit_depth": (5.0 if uhd else 1.0) if depth is not None and depth >= 10 else 0.0,
        "c_audio": c_audio,
        "c_bitrate": c_bitrate,
        "c_health": c_health,
        "c_repack": REPACK_POINTS if row["is_repack"] else 0.0,
        "c_3d": THREE_D_POINTS if row["is_3d"] else 0.0,
        "c_age": c_age,
        "c_reliability": max(RELIABILITY_FLOOR, STALL_POINTS * stalls + FAILURE_POINTS * failures),
    }


def _playable_py(profile: str, row: dict[str, Any]) -> bool:
    if profile == "web":
        codec_ok = row["video_codec"] is None or row["video_codec"] == "x264"
        return codec_ok and (row["bit_depth"] is None or row["bit_depth"] <= 8)
    return True


def score_sources_python(
    rows: list[dict[str, Any]], as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """Plain-Python twin of :func:`score_sources`; returns new dicts in input order."""
    now = _default_as_of(as_of)
    out: list[dict[str, Any]] = []
    for row in rows:
        scored = dict(row)
        runtime = row["runtime_min"]
        scored["bitrate_mbps"] = (
            float(row["size_bytes"]) / (float(runtime) * BYTES_PER_MINUTE_TO_MBPS)
            if runtime is not None and runtime > 0
            else None
        )
        for column in OUTCOME_COLUMNS:
            scored[column] = row.get(column) or 0
        scored.update(_components_py(scored, now))
        scored["available"] = scored["seeds"] > 0 or scored["engine_peers_7d"] > 0
        for profile, weights in PROFILES.items():
            if not _playable_py(profile, scored):
                scored[f"score_{profile}"] = None
                continue
            total = weights[COMPONENTS[0]] * scored[f"c_{COMPONENTS[0]}"]
            for name in COMPONENTS[1:]:
                total = total + weights[name] * scored[f"c_{name}"]
            scored[f"score_{profile}"] = total
        out.append(scored)
    for profile in PROFILES:
        by_movie: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for scored in out:
            scored[f"rank_{profile}"] = None
            if scored[f"score_{profile}"] is not None and scored["available"]:
                by_movie[scored["tmdb_id"]].append(scored)
        for group in by_movie.values():
            group.sort(key=lambda s: (-s[f"score_{profile}"], -s["seeds"], s["info_hash"]))
            for rank, scored in enumerate(group, start=1):
                scored[f"rank_{profile}"] = rank
    return out
