"""TMDB-shaped records generated from (seed, tmdb_id): list summaries and full movie details.

Cheap scalar attributes (popularity, votes, release date) are pure hash functions so the
catalogue can sort 100,000 movies by them; everything else is drawn from a
``random.Random`` seeded by (seed, id, salt) when a record is asked for.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any, NamedTuple

from sandbox import vocab
from sandbox.randomness import (
    SALT_DETAIL,
    SALT_POPULARITY,
    SALT_RELEASE,
    SALT_SUMMARY,
    SALT_VOTES,
    FastRandom,
    image_path,
    mix,
    rng,
    unit,
)

# The catalogue's "today": release dates after it are upcoming (status Post Production).
REFERENCE_DATE = date(2025, 6, 1)
_REFERENCE_ORDINAL = REFERENCE_DATE.toordinal()
_LANGUAGE_EDGES = [
    (lang, country, sum(w for *_, w in vocab.ORIGINAL_LANGUAGES[: n + 1]))
    for n, (lang, country, _native, _weight) in enumerate(vocab.ORIGINAL_LANGUAGES)
]
_LANGUAGE_TOTAL = _LANGUAGE_EDGES[-1][2]


def popularity(seed: int, tmdb_id: int) -> float:
    """Long-tailed popularity: median ~1.3, a few movies in the thousands."""
    u = unit(seed, tmdb_id, SALT_POPULARITY)
    return round(min(0.6 * (1.0 - u) ** -1.1, 3000.0), 4)


def release_ordinal(seed: int, tmdb_id: int) -> int:
    """Release date as a proleptic ordinal: mostly recent decades, ~3% in the future."""
    u = unit(seed, tmdb_id, SALT_RELEASE)
    return _REFERENCE_ORDINAL + 180 - int(u**2.2 * 95 * 365.25)


def votes(seed: int, tmdb_id: int) -> tuple[int, float]:
    """(vote_count, vote_average): unreleased and obscure movies have no votes (0, 0.0)."""
    if release_ordinal(seed, tmdb_id) > _REFERENCE_ORDINAL:
        return 0, 0.0
    h = mix(seed, tmdb_id, SALT_VOTES)
    u = (h & 0xFFFF) / 65536
    count = min(int(popularity(seed, tmdb_id) * (5 + 300 * u) - 3), 40_000) if u > 0.01 else 0
    if count <= 0:
        return 0, 0.0
    # Irwin-Hall of three 16-bit uniforms: roughly normal, mean 1.5, sd 0.5.
    z = (((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + ((h >> 48) & 0xFFFF)) / 65536 - 1.5
    return count, round(min(max(6.3 + 2.2 * z, 1.0), 9.3), 3)


def vote_average(seed: int, tmdb_id: int) -> float:
    return votes(seed, tmdb_id)[1]


def _sentence(r: random.Random, low: int, high: int) -> str:
    words = r.choices(vocab.LATIN, k=r.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(r: random.Random, sentences: int) -> str:
    return " ".join(_sentence(r, 4, 11) for _ in range(sentences))


def title_of(seed: int, tmdb_id: int) -> str:
    """The English title alone (cheap: used to search 100,000 titles)."""
    return title_from_hash(mix(seed, tmdb_id, SALT_SUMMARY))


def title_from_hash(h: int) -> str:
    adjective = vocab.ADJECTIVES[h % len(vocab.ADJECTIVES)]
    title = f"{adjective} {vocab.NOUNS[(h >> 16) % len(vocab.NOUNS)]}"
    if (h >> 32) % 9 == 0:
        title = "The " + title
    if (h >> 40) % 13 == 0:
        title += f" {2 + (h >> 44) % 3}"
    return title


def homepage_url(r: random.Random) -> str:
    return (
        f"https://{r.choice(vocab.HOST_WORDS)}-{r.choice(vocab.NOUNS).lower()}"
        f".{r.choice(vocab.HOST_TLDS)}"
    )


class MovieCore(NamedTuple):
    """The attributes a list result shows (English); details add the rest."""

    tmdb_id: int
    title: str
    original_title: str
    original_language: str
    origin_country: str
    release_date: str
    genre_ids: tuple[int, ...]
    popularity: float
    vote_average: float
    vote_count: int
    overview: str
    poster_path: str
    backdrop_path: str

    @property
    def year(self) -> int:
        return int(self.release_date[:4])


def movie_core(seed: int, tmdb_id: int) -> MovieCore:
    """The summary attributes of one movie (pure function of seed and id)."""
    h = mix(seed, tmdb_id, SALT_SUMMARY)
    r = FastRandom(h)
    pick = r.random() * _LANGUAGE_TOTAL
    lang, country = next((lg, ct) for lg, ct, edge in _LANGUAGE_EDGES if pick < edge)
    title = title_from_hash(h)
    original_title = title if lang == "en" else title_from_hash(mix(h, 1))
    vote_cnt, vote_avg = votes(seed, tmdb_id)
    genres = r.sample(vocab.MOVIE_GENRE_IDS, k=r.choice((1, 1, 2, 2, 2, 3, 3, 4)))
    return MovieCore(
        tmdb_id=tmdb_id,
        title=title,
        original_title=original_title,
        original_language=lang,
        origin_country=country,
        release_date=date.fromordinal(release_ordinal(seed, tmdb_id)).isoformat(),
        genre_ids=tuple(genres),
        popularity=popularity(seed, tmdb_id),
        vote_average=vote_avg,
        vote_count=vote_cnt,
        overview=paragraph(r, r.randint(1, 3)),
        poster_path=image_path(r),
        backdrop_path=image_path(r),
    )


def runtime_minutes(seed: int, tmdb_id: int) -> int:
    """Runtime in minutes, 70-190, centred near 105."""
    h = mix(seed, tmdb_id, SALT_DETAIL)
    z = ((h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF)) / 65536 - 1.5  # sd 0.5
    return max(70, min(190, int(106 + 36 * z)))


def translations(seed: int, core: MovieCore) -> list[dict[str, Any]]:
    """English plus 2-5 other translations, each ``{iso_3166_1, iso_639_1, name, ...}``."""
    r = rng(seed, core.tmdb_id, SALT_DETAIL, 1)
    runtime = runtime_minutes(seed, core.tmdb_id)
    english = {
        "homepage": homepage_url(r) if r.random() < 0.7 else "",
        "overview": core.overview,
        "runtime": runtime,
        "tagline": _sentence(r, 3, 7),
        "title": "" if core.original_language == "en" else core.title,
    }
    out = [_translation(vocab.ENGLISH, english)]
    for lang in r.sample(vocab.TRANSLATIONS, k=r.randint(2, 5)):
        data = {
            "homepage": homepage_url(r) if r.random() < 0.25 else "",
            "overview": paragraph(r, r.randint(1, 2)),
            "runtime": 0 if r.random() < 0.2 else runtime + r.choice((0, 0, 0, -1, 1, 7)),
            "tagline": _sentence(r, 2, 6) if r.random() < 0.6 else "",
            "title": title_from_hash(r.getrandbits(64)) if r.random() < 0.85 else "",
        }
        out.append(_translation(lang, data))
    return out


def _translation(lang: tuple[str, str, str, str], data: dict[str, Any]) -> dict[str, Any]:
    iso_639_1, iso_3166_1, name, english_name = lang
    return {
        "iso_3166_1": iso_3166_1,
        "iso_639_1": iso_639_1,
        "name": name,
        "english_name": english_name,
        "data": data,
    }


def split_language(language: str) -> tuple[str, str | None]:
    """``"es-MX"`` -> ``("es", "MX")``; ``"en"`` -> ``("en", None)``."""
    primary, _, region = language.partition("-")
    return primary.lower(), (region.upper() or None)


def localized(core: MovieCore, trans: list[dict[str, Any]], language: str) -> tuple[str, str, str]:
    """(title, overview, tagline-or-empty) as TMDB answers them for ``language``."""
    primary, region = split_language(language)
    english = trans[0]["data"]
    if primary == "en":
        return core.title, core.overview, english["tagline"]
    matches = [t for t in trans if t["iso_639_1"] == primary]
    matches.sort(key=lambda t: t["iso_3166_1"] != region)
    if not matches:
        return core.original_title, "", ""
    data = matches[0]["data"]
    return data["title"] or core.original_title, data["overview"], data["tagline"]


def genre_name(genre_id: int, language: str) -> str:
    english, spanish, _yts = vocab.MOVIE_GENRES[genre_id]
    return spanish if split_language(language)[0] == "es" else english


def summary(seed: int, tmdb_id: int, language: str) -> dict[str, Any]:
    """One list result (``/3/movie/popular`` etc.) in TMDB's key order."""
    core = movie_core(seed, tmdb_id)
    title, overview = core.title, core.overview
    if split_language(language)[0] != "en":
        title, overview, _ = localized(core, translations(seed, core), language)
    return {
        "adult": False,
        "backdrop_path": core.backdrop_path,
        "genre_ids": list(core.genre_ids),
        "id": tmdb_id,
        "original_language": core.original_language,
        "original_title": core.original_title,
        "overview": overview,
        "popularity": core.popularity,
        "poster_path": core.poster_path,
        "release_date": core.release_date,
        "title": title,
        "video": False,
        "vote_average": core.vote_average,
        "vote_count": core.vote_count,
    }


_POSTER_WIDTHS, _POSTER_RATIOS = (1000, 1400, 2000), (1.5, 1.5, 1.5, 1.426, 1.41)
_BACKDROP_WIDTHS = (1280, 1920, 3840)


def images(r: random.Random, kind: str, language: str) -> list[dict[str, Any]]:
    """1-5 posters/backdrops or 0-3 logos, best voted first."""
    rand = r.random
    count = int(rand() * 4) if kind == "logos" else 1 + int(rand() * 5)
    out: list[dict[str, Any]] = []
    for _ in range(count):
        if kind == "posters":
            width = _POSTER_WIDTHS[int(rand() * 3)]
            height, ext = int(width * _POSTER_RATIOS[int(rand() * 5)]), ".jpg"
        elif kind == "backdrops":
            width = _BACKDROP_WIDTHS[int(rand() * 3)]
            height, ext = int(width / 1.778), ".jpg"
        else:
            width = 250 + int(rand() * 3750)
            height, ext = max(40, int(width / (0.8 + 5.2 * rand()))), ".png"
        votes = int(rand() * 13)
        out.append(
            {
                "aspect_ratio": round(width / height, 3),
                "height": height,
                "iso_639_1": None if kind == "backdrops" and rand() < 0.3 else language,
                "file_path": image_path(r, ext),
                "vote_average": round(rand() * 6, 3) if votes else 0,
                "vote_count": votes,
                "width": width,
            }
        )
    out.sort(key=lambda image: -image["vote_average"])
    return out


def details(seed: int, tmdb_id: int, imdb_id: str | None, language: str) -> dict[str, Any]:
    """``/3/movie/{id}?append_to_response=translations,images,external_ids`` body."""
    core = movie_core(seed, tmdb_id)
    trans = translations(seed, core)
    title, overview, tagline = localized(core, trans, language)
    r = rng(seed, tmdb_id, SALT_DETAIL, 2)
    runtime = trans[0]["data"]["runtime"]
    budget = r.choice((0, 0, 1, 2, 5, 10, 20, 40, 63, 90, 150, 200)) * 1_000_000
    countries = [core.origin_country, *r.sample(sorted(vocab.COUNTRIES), k=r.randint(0, 1))]
    collection = None
    if r.random() < 0.25:
        collection = {
            "id": r.randint(10, 1_400_000),
            "name": title_from_hash(r.getrandbits(64)) + " Collection",
            "poster_path": image_path(r),
            "backdrop_path": image_path(r),
        }
    companies = [
        {
            "id": r.randint(1, 200_000),
            "logo_path": image_path(r, ".png") if r.random() < 0.7 else None,
            "name": f"{title_from_hash(r.getrandbits(64))} {r.choice(vocab.COMPANY_SUFFIXES)}",
            "origin_country": r.choice(countries),
        }
        for _ in range(r.randint(0, 4))
    ]
    released = date.fromisoformat(core.release_date) <= REFERENCE_DATE
    lang_name = dict((code, native) for code, _c, native, _w in vocab.ORIGINAL_LANGUAGES)
    body: dict[str, Any] = {
        "adult": False,
        "backdrop_path": core.backdrop_path,
        "belongs_to_collection": collection,
        "budget": budget,
        "genres": [{"id": g, "name": genre_name(g, language)} for g in core.genre_ids],
        "homepage": trans[0]["data"]["homepage"],
        "id": tmdb_id,
        "imdb_id": imdb_id,
        "origin_country": [core.origin_country],
        "original_language": core.original_language,
        "original_title": core.original_title,
        "overview": overview,
        "popularity": core.popularity,
        "poster_path": core.poster_path,
        "production_companies": companies,
        "production_countries": [{"iso_3166_1": c, "name": vocab.COUNTRIES[c]} for c in countries],
        "release_date": core.release_date,
        "revenue": int(budget * r.uniform(0.2, 6.0)) if released else 0,
        "runtime": runtime,
        "spoken_languages": [
            {
                "english_name": vocab.LANGUAGE_ENGLISH_NAMES[core.original_language],
                "iso_639_1": core.original_language,
                "name": lang_name[core.original_language],
            }
        ],
        "status": "Released" if released else "Post Production",
        "tagline": tagline,
        "title": title,
        "video": False,
        "vote_average": core.vote_average,
        "vote_count": core.vote_count,
    }
    image_language = split_language(language)[0]
    body["translations"] = {"translations": trans}
    body["images"] = {
        kind: images(r, kind, image_language) for kind in ("backdrops", "logos", "posters")
    }
    body["external_ids"] = {
        "id": tmdb_id,
        "imdb_id": imdb_id,
        "wikidata_id": f"Q{r.randint(10_000, 130_000_000)}" if r.random() < 0.8 else None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }
    return body
