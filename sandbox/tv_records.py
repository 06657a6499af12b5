"""TMDB TV records generated from (seed, tv_id): show details and season details.

Kept to the shapes the recorded samples show (``/3/tv/{id}`` with ``external_ids,
translations`` appended, plus ``images`` shaped like a movie's, ``/3/tv/{id}/season/{n}``) and
the list summaries of ``/3/tv/popular``. A show's popularity and votes are pure hashes of its
id, so the lists can be ordered without building every show. Torrents: sandbox/eztv_records.py.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sandbox import vocab
from sandbox.randomness import SALT_DETAIL, SALT_POPULARITY, SALT_VOTES, image_path, mix, rng, unit
from sandbox.tmdb_records import (
    REFERENCE_DATE,
    homepage_url,
    images,
    paragraph,
    split_language,
    title_from_hash,
)

TV_TYPES = ("Scripted", "Scripted", "Reality", "Documentary", "Talk Show", "Miniseries")
TV_GENRE_IDS = tuple(vocab.TV_GENRES)
_SALT_TV = 1_000


def _tv_rng(seed: int, tv_id: int, part: int) -> random.Random:
    return rng(seed, tv_id, _SALT_TV, part)


def _layout(seed: int, tv_id: int) -> tuple[date, list[int], int]:
    """(first air date, episodes per season 1..n, episode runtime): shared by show and season."""
    r = _tv_rng(seed, tv_id, 0)
    first = REFERENCE_DATE - timedelta(days=r.randint(200, 9000))
    seasons = [r.randint(6, 24) for _ in range(r.randint(1, 8))]
    return first, seasons, r.randint(20, 60)


def layout(seed: int, tv_id: int) -> tuple[date, list[int], int]:
    """Public view of the layout: (first air date, episodes per season, runtime minutes)."""
    return _layout(seed, tv_id)


def show_name(seed: int, tv_id: int) -> str:
    return title_from_hash(mix(seed, tv_id, _SALT_TV))


def popularity(seed: int, tv_id: int) -> float:
    return round(1 + 599 * unit(seed, tv_id, _SALT_TV, SALT_POPULARITY), 4)


def votes(seed: int, tv_id: int) -> tuple[float, int]:
    """(vote_average, vote_count)."""
    r = _tv_rng(seed, tv_id, SALT_VOTES + 500)
    return round(r.uniform(5, 9), 1), r.randint(0, 5000)


def summary(seed: int, tv_id: int, language: str) -> dict[str, Any]:
    """One ``results`` item of ``/3/tv/popular`` (and top_rated, trending)."""
    first, _seasons, _runtime = _layout(seed, tv_id)
    r = _tv_rng(seed, tv_id, 3_000)
    average, count = votes(seed, tv_id)
    name = show_name(seed, tv_id)
    return {
        "adult": False,
        "backdrop_path": image_path(r),
        "genre_ids": r.sample(TV_GENRE_IDS, k=r.randint(1, 3)),
        "id": tv_id,
        "origin_country": ["US"],
        "original_language": "en",
        "original_name": name,
        "overview": paragraph(r, 1),
        "popularity": popularity(seed, tv_id),
        "poster_path": image_path(r),
        "first_air_date": first.isoformat(),
        "name": name,
        "vote_average": average,
        "vote_count": count,
    }


def season_start(first: date, number: int) -> date:
    return first + timedelta(days=(number - 1) * 365)


def _episode(seed: int, tv_id: int, season: int, number: int, first: date, runtime: int) -> dict:
    r = _tv_rng(seed, tv_id, 10_000 + season * 1000 + number)
    return {
        "air_date": (season_start(first, season) + timedelta(days=7 * (number - 1))).isoformat(),
        "episode_number": number,
        "episode_type": "standard",
        "id": 1_000_000 + mix(seed, tv_id, season, number) % 9_000_000,
        "name": title_from_hash(r.getrandbits(64)),
        "overview": paragraph(r, r.randint(1, 2)),
        "production_code": "",
        "runtime": runtime,
        "season_number": season,
        "show_id": tv_id,
        "still_path": image_path(r) if r.random() < 0.7 else None,
        "vote_average": round(r.uniform(5, 9), 1) if r.random() < 0.5 else 0,
        "vote_count": r.randint(0, 40),
    }


def _guest(r: random.Random) -> dict[str, Any]:
    name = f"{r.choice(vocab.ADJECTIVES)} {r.choice(vocab.NOUNS)}"
    return {
        "character": r.choice(("Self", "Guest", "Host", "Narrator")),
        "credit_id": f"{r.getrandbits(96):024x}",
        "order": r.randint(0, 999),
        "adult": False,
        "gender": r.choice((0, 1, 2)),
        "id": r.randint(1, 5_000_000),
        "known_for_department": "Acting",
        "name": name,
        "original_name": name,
        "popularity": round(r.uniform(0.1, 20), 4),
        "profile_path": image_path(r) if r.random() < 0.8 else None,
    }


def tv_show(seed: int, tv_id: int, imdb_id: str | None, language: str) -> dict[str, Any]:
    """``/3/tv/{id}?append_to_response=external_ids,translations,images`` body."""
    first, seasons, runtime = _layout(seed, tv_id)
    r = _tv_rng(seed, tv_id, 1)
    name = show_name(seed, tv_id)
    overview = paragraph(r, r.randint(1, 3))
    country = r.choice(("US", "GB", "US", "CA", "KR", "ES"))
    last_season = len(seasons)
    last = _episode(seed, tv_id, last_season, seasons[-1], first, runtime)
    running = date.fromisoformat(last["air_date"]) > REFERENCE_DATE - timedelta(days=200)
    spanish = split_language(language)[0] == "es"
    season_rows = [
        {
            "air_date": season_start(first, n).isoformat(),
            "episode_count": count,
            "id": 10_000 + mix(seed, tv_id, n) % 900_000,
            "name": f"Season {n}",
            "overview": "",
            "poster_path": image_path(r),
            "season_number": n,
            "vote_average": round(r.uniform(5, 9), 1) if r.random() < 0.6 else 0,
        }
        for n, count in enumerate(seasons, 1)
    ]
    translations = [
        {
            "iso_3166_1": region,
            "iso_639_1": lang,
            "name": native,
            "english_name": english,
            "data": {
                "name": "" if lang == "en" else title_from_hash(r.getrandbits(64)),
                "overview": overview if lang == "en" else paragraph(r, 1),
                "homepage": "",
                "tagline": "",
            },
        }
        for lang, region, native, english in (vocab.ENGLISH, *r.sample(vocab.TRANSLATIONS, k=2))
    ]
    return {
        "adult": False,
        "backdrop_path": image_path(r),
        "created_by": [],
        "episode_run_time": [runtime],
        "first_air_date": first.isoformat(),
        "genres": [
            {"id": g, "name": vocab.TV_GENRES[g][1 if spanish else 0]}
            for g in r.sample(TV_GENRE_IDS, k=r.randint(1, 3))
        ],
        "homepage": homepage_url(r) if r.random() < 0.6 else "",
        "id": tv_id,
        "in_production": running,
        "languages": ["en"],
        "last_air_date": last["air_date"],
        "last_episode_to_air": last,
        "name": name,
        "next_episode_to_air": None,
        "networks": [
            {
                "id": r.randint(1, 5000),
                "logo_path": image_path(r, ".png"),
                "name": f"{title_from_hash(r.getrandbits(64))} Media",
                "origin_country": country,
            }
        ],
        "number_of_episodes": sum(seasons),
        "number_of_seasons": len(seasons),
        "origin_country": [country],
        "original_language": "en",
        "original_name": name,
        "overview": overview,
        "popularity": popularity(seed, tv_id),
        "poster_path": image_path(r),
        "production_companies": [
            {
                "id": r.randint(1, 200_000),
                "logo_path": image_path(r, ".png") if r.random() < 0.7 else None,
                "name": f"{title_from_hash(r.getrandbits(64))} Entertainment",
                "origin_country": country,
            }
            for _ in range(r.randint(1, 2))
        ],
        "production_countries": [{"iso_3166_1": country, "name": vocab.COUNTRIES[country]}],
        "seasons": season_rows,
        "spoken_languages": [{"english_name": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Returning Series" if running else "Ended",
        "tagline": "",
        "type": r.choice(TV_TYPES),
        "vote_average": votes(seed, tv_id)[0],
        "vote_count": votes(seed, tv_id)[1],
        "external_ids": {
            "imdb_id": imdb_id,
            "freebase_mid": None,
            "freebase_id": None,
            "tvdb_id": r.randint(70_000, 450_000),
            "tvrage_id": None,
            "wikidata_id": f"Q{r.randint(10_000, 130_000_000)}",
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        },
        "translations": {"translations": translations},
        "images": {
            kind: images(_tv_rng(seed, tv_id, 4), kind, split_language(language)[0])
            for kind in ("backdrops", "logos", "posters")
        },
    }


def tv_season(seed: int, tv_id: int, number: int) -> dict[str, Any] | None:
    """``/3/tv/{id}/season/{n}`` body, or None when the show has no such season."""
    first, seasons, runtime = _layout(seed, tv_id)
    if not 1 <= number <= len(seasons):
        return None
    r = _tv_rng(seed, tv_id, 2 + number)
    episodes = []
    for n in range(1, seasons[number - 1] + 1):
        episode = _episode(seed, tv_id, number, n, first, runtime)
        episode["crew"] = []
        episode["guest_stars"] = [_guest(r) for _ in range(r.randint(1, 5))]
        episodes.append(episode)
    return {
        "_id": f"{mix(seed, tv_id, number, SALT_DETAIL) % (1 << 96):024x}",
        "air_date": season_start(first, number).isoformat(),
        "episodes": episodes,
        "name": f"Season {number}",
        "overview": "",
        "id": 10_000 + mix(seed, tv_id, number) % 900_000,
        "poster_path": image_path(r),
        "season_number": number,
        "vote_average": round(r.uniform(5, 9), 1) if r.random() < 0.6 else 0,
    }
