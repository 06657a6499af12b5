"""YTS-shaped records generated from (seed, tmdb_id): torrents and the list_movies movie object.

Which variants (quality/type/codec) a movie has is a pure hash of its id, so the catalogue
can filter 100,000 movies by quality without building their torrents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sandbox import vocab
from sandbox.randomness import (
    SALT_QUALITIES,
    SALT_SWARM,
    SALT_TORRENTS,
    SALT_UPLOAD,
    info_hash,
    mix,
    rng,
    unit,
)
from sandbox.tmdb_records import MovieCore, release_ordinal, runtime_minutes

DEFAULT_YTS_BASE = "https://yts.mx"
YTS_EPOCH = int(datetime(2011, 1, 1, tzinfo=UTC).timestamp())
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# (quality, type, video_codec, bit_depth, inclusion probability, Mbit/s)
VARIANTS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("720p", "bluray", "x264", "8", 0.55, 1.3),
    ("1080p", "bluray", "x264", "8", 0.60, 2.4),
    ("2160p", "bluray", "x265", "10", 0.25, 6.8),
    ("720p", "web", "x264", "8", 0.35, 1.2),
    ("1080p", "web", "x264", "8", 0.40, 2.2),
    ("1080p", "web", "x265", "10", 0.20, 1.5),
    ("480p", "web", "x264", "8", 0.08, 0.7),
    ("3D", "bluray", "x264", "8", 0.04, 2.6),
    ("2160p", "web", "x265", "10", 0.15, 5.5),
)
QUALITY_FILTERS = ("480p", "720p", "1080p", "1080p.x265", "2160p", "3D")
MAX_TORRENTS = 6


def variant_indexes(seed: int, tmdb_id: int) -> list[int]:
    """Indexes into ``VARIANTS`` this movie has torrents for (1 to 6 of them)."""
    h = mix(seed, tmdb_id, SALT_QUALITIES)
    chosen = [i for i, v in enumerate(VARIANTS) if ((h >> (7 * i)) & 0x7F) / 128 < v[4]]
    if not chosen:
        chosen = [1 if h & 1 else 3]
    return chosen[:MAX_TORRENTS]


def matches_quality(seed: int, tmdb_id: int, quality: str) -> bool:
    """Whether the movie has a torrent of YTS ``quality`` filter value (e.g. ``1080p.x265``)."""
    want, _, codec = quality.partition(".")
    for i in variant_indexes(seed, tmdb_id):
        q, _type, vcodec, *_ = VARIANTS[i]
        if q.lower() == want.lower() and (not codec or codec == vcodec):
            return True
    return False


def swarm(seed: int, tmdb_id: int) -> int:
    """Seeds of the movie's best torrent: long-tailed, 0 to ~5000."""
    u = unit(seed, tmdb_id, SALT_SWARM)
    return 0 if u < 0.06 else min(int(2 * (1.0 - u) ** -1.25) - 2, 5000)


def upload_unix(seed: int, tmdb_id: int) -> int:
    """When the movie was first uploaded: after its release and after YTS started."""
    released = (release_ordinal(seed, tmdb_id) - _UNIX_EPOCH_ORDINAL) * 86400
    return max(released, YTS_EPOCH) + int(unit(seed, tmdb_id, SALT_UPLOAD) * 400 * 86400)


def _format_size(size_bytes: int) -> str:
    if size_bytes >= 1 << 30:
        return f"{size_bytes / (1 << 30):.2f} GB"
    return f"{size_bytes / (1 << 20):.2f} MB"


def _stamp(unix: int) -> str:
    return datetime.fromtimestamp(unix, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def torrent_record(
    info_hash_hex: str,
    *,
    base_url: str = DEFAULT_YTS_BASE,
    quality: str = "720p",
    source_type: str = "web",
    video_codec: str = "x264",
    bit_depth: str = "8",
    audio_channels: str = "2.0",
    seeds: int = 1,
    peers: int = 0,
    size_bytes: int = 1 << 20,
    uploaded_unix: int = YTS_EPOCH,
    is_repack: str = "0",
) -> dict[str, Any]:
    """A YTS torrent object with every key YTS sends (for injected demo torrents too)."""
    upper = info_hash_hex.upper()
    return {
        "url": f"{base_url}/torrent/download/{upper}",
        "hash": upper,
        "quality": quality,
        "type": source_type,
        "is_repack": is_repack,
        "video_codec": video_codec,
        "bit_depth": bit_depth,
        "audio_channels": audio_channels,
        "seeds": seeds,
        "peers": peers,
        "size": _format_size(size_bytes),
        "size_bytes": size_bytes,
        "date_uploaded": _stamp(uploaded_unix),
        "date_uploaded_unix": uploaded_unix,
    }


def torrents(seed: int, core: MovieCore, base_url: str) -> list[dict[str, Any]]:
    """The movie's synthetic torrents (clean: dirt is applied by the catalogue)."""
    r = rng(seed, core.tmdb_id, SALT_TORRENTS)
    runtime = runtime_minutes(seed, core.tmdb_id)
    best = swarm(seed, core.tmdb_id)
    first_upload = upload_unix(seed, core.tmdb_id)
    out = []
    for n, i in enumerate(variant_indexes(seed, core.tmdb_id)):
        quality, source_type, codec, depth, _p, mbps = VARIANTS[i]
        seeds = best if n == 0 else int(best * r.random() ** 2)
        if quality in ("480p", "720p"):
            audio = "2.0"
        else:
            audio = r.choice(("2.0", "5.1", "5.1", "5.1", "7.1" if quality == "2160p" else "5.1"))
        size = int(mbps * 1e6 / 8 * runtime * 60 * r.uniform(0.8, 1.25))
        uploaded = first_upload + (0 if n == 0 else r.randint(60, 3 * 365 * 86400))
        out.append(
            torrent_record(
                info_hash(seed, core.tmdb_id, n),
                base_url=base_url,
                quality=quality,
                source_type=source_type,
                video_codec=codec,
                bit_depth=depth,
                audio_channels=audio,
                seeds=seeds,
                peers=int(seeds * r.uniform(0.05, 1.6)) + (r.randint(0, 3) if seeds == 0 else 0),
                size_bytes=size,
                uploaded_unix=uploaded,
                is_repack="1" if r.random() < 0.08 else "0",
            )
        )
    return out


def _image_url(slug: str, name: str) -> str:
    return f"https://img.yts.mx/assets/images/movies/{slug}/{name}.jpg"


def movie_object(
    seed: int,
    core: MovieCore,
    imdb_id: str,
    yts_id: int,
    torrent_list: list[dict[str, Any]],
    base_url: str,
) -> dict[str, Any]:
    """The ``data.movies[]`` entry of ``list_movies.json`` for one movie."""
    r = rng(seed, core.tmdb_id, SALT_TORRENTS, 1)
    slug = "-".join(core.title.lower().split()) + f"-{core.year}"
    uploads = [t["date_uploaded_unix"] for t in torrent_list if isinstance(t, dict)]
    first = min((u for u in uploads if isinstance(u, int)), default=upload_unix(seed, core.tmdb_id))
    runtime = runtime_minutes(seed, core.tmdb_id)
    summary = core.overview if r.random() < 0.8 else ""
    return {
        "id": yts_id,
        "url": f"{base_url}/movies/{slug}",
        "imdb_code": imdb_id,
        "title": core.title,
        "title_english": core.title,
        "title_long": f"{core.title} ({core.year})",
        "slug": slug,
        "year": core.year,
        "rating": round(core.vote_average, 1),
        "runtime": runtime,
        "genres": sorted({vocab.MOVIE_GENRES[g][2] for g in core.genre_ids}),
        "summary": summary,
        "description_full": summary,
        "synopsis": summary,
        "yt_trailer_code": "".join(r.choices(vocab.PATH_ALPHABET + "-_", k=11))
        if r.random() < 0.7
        else "",
        "language": core.original_language,
        "mpa_rating": r.choice(("", "", "PG", "PG-13", "R")),
        "background_image": _image_url(slug, "background"),
        "background_image_original": _image_url(slug, "background"),
        "small_cover_image": _image_url(slug, "small-cover"),
        "medium_cover_image": _image_url(slug, "medium-cover"),
        "large_cover_image": _image_url(slug, "large-cover"),
        "state": "ok",
        "torrents": torrent_list,
        "date_uploaded": _stamp(first),
        "date_uploaded_unix": first,
    }
