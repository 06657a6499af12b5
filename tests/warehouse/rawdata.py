"""Build raw_* tables for warehouse tests: from the upstream samples and synthetic bodies."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.db import insert_frame
from warehouse.schema import ensure_base_schema

T0 = datetime(2025, 6, 1, 12, 0, 0)
MOVIE_APPEND = "append_to_response=external_ids,images,translations"


def movie_key(tmdb_id: int | str, language: str = "en") -> str:
    return f"GET /3/movie/{tmdb_id}?{MOVIE_APPEND}&language={language}"


def list_key(name: str, page: int, language: str = "en") -> str:
    path = "/3/trending/movie/week" if name == "trending" else f"/3/movie/{name}"
    return f"GET {path}?language={language}&page={page}"


def genres_key(language: str) -> str:
    return f"GET /3/genre/movie/list?language={language}"


def yts_key(imdb_id: str) -> str:
    return f"GET /api/v2/list_movies.json?query_term={imdb_id}"


CONFIG_KEY = "GET /3/configuration"


def show_key(show_id: int | str, language: str = "en") -> str:
    append = "append_to_response=external_ids,translations,images"
    return f"GET /3/tv/{show_id}?{append}&language={language}"


def season_key(show_id: int | str, season: int, language: str = "en") -> str:
    return f"GET /3/tv/{show_id}/season/{season}?language={language}"


def tv_list_key(name: str, page: int, language: str = "en") -> str:
    path = "/3/trending/tv/week" if name == "trending" else f"/3/tv/{name}"
    return f"GET {path}?language={language}&page={page}"


def eztv_key(imdb_id: str, page: int = 1) -> str:
    return f"GET /api/get-torrents?imdb_id={imdb_id[2:]}&limit=100&page={page}"


@dataclass
class RawWriter:
    """Collects raw rows and writes them in bulk (like the ingest engineer's flows do)."""

    con: duckdb.DuckDBPyConnection
    run_id: str = "run-1"
    clock: datetime = T0
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(
        self,
        table: str,
        request_key: str,
        entity_key: str,
        payload: str | dict[str, Any] | list[Any] | None,
        status: int = 200,
        fetched_at: datetime | None = None,
        run_id: str | None = None,
    ) -> None:
        if fetched_at is None:
            self.clock += timedelta(seconds=1)
            fetched_at = self.clock
        text = payload if isinstance(payload, str) or payload is None else json.dumps(payload)
        self.rows.setdefault(table, []).append(
            {
                "request_key": request_key,
                "entity_key": entity_key,
                "url": "http://127.0.0.1:1" + request_key.partition(" ")[2],
                "fetched_at": fetched_at,
                "status": status,
                "payload": text,
                "run_id": run_id or self.run_id,
            }
        )

    def movie(self, body: dict[str, Any] | str | None, tmdb_id: int | str, **kw: Any) -> None:
        self.add("raw_tmdb_movies", movie_key(tmdb_id), str(tmdb_id), body, **kw)

    def yts(self, body: dict[str, Any] | str | None, imdb_id: str, **kw: Any) -> None:
        self.add("raw_yts_movies", yts_key(imdb_id), imdb_id, body, **kw)

    def list_page(self, body: dict[str, Any] | str | None, name: str, page: int, **kw: Any) -> None:
        self.add("raw_tmdb_lists", list_key(name, page), f"{name}:{page}", body, **kw)

    def genres(self, body: dict[str, Any] | str | None, language: str, **kw: Any) -> None:
        self.add("raw_tmdb_genres", genres_key(language), language, body, **kw)

    def configuration(self, body: dict[str, Any] | str | None, **kw: Any) -> None:
        self.add("raw_tmdb_configuration", CONFIG_KEY, "configuration", body, **kw)

    def show(self, body: dict[str, Any] | str | None, show_id: int | str, **kw: Any) -> None:
        self.add("raw_tmdb_shows", show_key(show_id), str(show_id), body, **kw)

    def season(
        self, body: dict[str, Any] | str | None, show_id: int, season: int, **kw: Any
    ) -> None:
        self.add("raw_tmdb_seasons", season_key(show_id, season), f"{show_id}:{season}", body, **kw)

    def tv_list_page(
        self, body: dict[str, Any] | str | None, name: str, page: int, **kw: Any
    ) -> None:
        self.add("raw_tmdb_tv_lists", tv_list_key(name, page), f"{name}:{page}", body, **kw)

    def tv_genres(self, body: dict[str, Any] | str | None, language: str, **kw: Any) -> None:
        key = f"GET /3/genre/tv/list?language={language}"
        self.add("raw_tmdb_tv_genres", key, language, body, **kw)

    def eztv(
        self, body: dict[str, Any] | str | None, imdb_id: str, page: int = 1, **kw: Any
    ) -> None:
        self.add("raw_eztv_torrents", eztv_key(imdb_id, page), f"{imdb_id}:{page}", body, **kw)

    def flush(self) -> None:
        ensure_base_schema(self.con)
        for table, rows in self.rows.items():
            insert_frame(self.con, table, pl.DataFrame(rows))
        self.rows.clear()


def load_samples(writer: RawWriter, samples_dir: Path) -> None:
    """Every TMDB/YTS sample exchange as one raw row (status and body as recorded)."""
    for path in sorted(samples_dir.glob("tmdb/*.json")) + sorted(samples_dir.glob("yts/*.json")):
        exchange = json.loads(path.read_text())
        body, status, route = exchange["body"], exchange["status"], exchange["path"]
        if route == "/3/configuration":
            writer.configuration(body, status=status)
        elif route == "/3/genre/movie/list":
            writer.genres(body, exchange["query"]["language"], status=status)
        elif route == "/3/movie/top_rated":
            writer.list_page(body, "top_rated", int(exchange["query"]["page"]), status=status)
        elif route.startswith("/3/movie/") and route.rsplit("/", 1)[-1].isdigit():
            writer.movie(body, int(route.rsplit("/", 1)[-1]), status=status)
        elif route == "/3/genre/tv/list":
            writer.tv_genres(body, exchange["query"]["language"], status=status)
        elif re.fullmatch(r"/3/tv/\d+", route):
            show_id = int(route.rsplit("/", 1)[-1])
            # The recorded exchange did not ask for images: add the shape a movie sample has.
            body.setdefault("images", {"posters": [SAMPLE_IMAGE]})
            writer.show(body, show_id, status=status)
            imdb = body["external_ids"]["imdb_id"]
            writer.tv_list_page(tv_list_page([show_id]), "popular", 1)
            writer.eztv(
                eztv_page(imdb, [eztv_torrent("c3" * 20, imdb, "Show S02E01 720p HDTV x264-GRP")]),
                imdb,
            )
        elif m := re.fullmatch(r"/3/tv/(\d+)/season/(\d+)", route):
            writer.season(body, int(m[1]), int(m[2]), status=status)
        elif route == "/api/v2/list_movies.json":
            movies = body["data"].get("movies") or []
            imdb = exchange["query"].get("query_term") or movies[0]["imdb_code"]
            writer.yts(body, imdb, status=status)


# --- synthetic bodies ------------------------------------------------------------------------


SAMPLE_IMAGE = {
    "aspect_ratio": 0.667,
    "height": 750,
    "iso_639_1": "en",
    "file_path": "/sample.jpg",
    "vote_average": 5.3,
    "vote_count": 4,
    "width": 500,
}


SAMPLE_IMAGE = {
    "aspect_ratio": 0.667,
    "height": 750,
    "iso_639_1": "en",
    "file_path": "/sample.jpg",
    "vote_average": 5.3,
    "vote_count": 4,
    "width": 500,
}


def tv_list_page(show_ids: list[int], page: int = 1) -> dict[str, Any]:
    results = [{"id": i, "name": f"Show {i}"} for i in show_ids]
    return {"page": page, "results": results, "total_pages": 1, "total_results": len(results)}


def eztv_torrent(info_hash: str, imdb: str, title: str, **overrides: Any) -> dict[str, Any]:
    """One EZTV torrent as the API sends it (numbers as strings, IMDb id without tt)."""
    m = re.search(r"S(\d+)(?:E(\d+))?", title)
    season, episode = (m[1], m[2] or "0") if m else ("0", "0")
    body: dict[str, Any] = {
        "id": int(info_hash[:6], 16),
        "hash": info_hash,
        "filename": title.replace(" ", ".") + ".mkv",
        "torrent_url": f"https://eztv.test/torrents/{info_hash}.torrent",
        "magnet_url": f"magnet:?xt=urn:btih:{info_hash}",
        "title": f"{title} EZTV",
        "imdb_id": imdb[2:],
        "season": str(int(season)),
        "episode": str(int(episode)),
        "seeds": 50,
        "peers": 10,
        "date_released_unix": 1_700_000_000,
        "size_bytes": "400000000",
    }
    body.update(overrides)
    return body


def eztv_page(imdb_id: str, torrents: list[dict[str, Any]] | None, page: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {
        "imdb_id": imdb_id[2:],
        "torrents_count": len(torrents or []),
        "limit": 100,
        "page": page,
    }
    if torrents:
        body["torrents"] = torrents
    return body


def tmdb_movie(tmdb_id: int, imdb_id: str | None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "adult": False,
        "id": tmdb_id,
        "imdb_id": imdb_id,
        "title": f"Movie {tmdb_id}",
        "original_title": f"Original {tmdb_id}",
        "original_language": "en",
        "overview": f"Overview of {tmdb_id}.",
        "tagline": "",
        "release_date": "2001-02-03",
        "runtime": 120,
        "popularity": 12.5,
        "vote_average": 7.25,
        "vote_count": 1000,
        "poster_path": f"/p{tmdb_id}.jpg",
        "backdrop_path": f"/b{tmdb_id}.jpg",
        "status": "Released",
        "genres": [{"id": 18, "name": "Drama"}, {"id": 28, "name": "Action"}],
        "external_ids": {"imdb_id": imdb_id},
        "translations": {
            "translations": [
                {
                    "iso_3166_1": "ES",
                    "iso_639_1": "es",
                    "data": {"title": f"Pelicula {tmdb_id}", "overview": "", "tagline": ""},
                }
            ]
        },
        "images": {
            "posters": [{"file_path": f"/p{tmdb_id}.jpg", "width": 500, "height": 750}],
            "backdrops": [],
            "logos": [],
        },
    }
    body.update(overrides)
    return body


def yts_torrent(info_hash: str, quality: str = "1080p", **overrides: Any) -> dict[str, Any]:
    torrent: dict[str, Any] = {
        "url": f"http://yts.invalid/torrent/download/{info_hash}",
        "hash": info_hash,
        "quality": quality,
        "type": "bluray",
        "is_repack": "0",
        "video_codec": "x264",
        "bit_depth": "8",
        "audio_channels": "5.1",
        "seeds": 100,
        "peers": 20,
        "size": "1.9 GB",
        "size_bytes": 2_000_000_000,
        "date_uploaded": "2024-01-02 03:04:05",
        "date_uploaded_unix": 1704164645,
    }
    torrent.update(overrides)
    return torrent


def yts_envelope(imdb_id: str, torrents: list[dict[str, Any]] | None, **movie: Any) -> dict:
    data: dict[str, Any] = {"movie_count": 0 if torrents is None else 1, "limit": 20}
    if torrents is not None:
        data["movies"] = [
            {
                "id": movie.pop("id", 1000 + int(imdb_id[2:]) % 100000),
                "imdb_code": imdb_id,
                "title": "Yts Title",
                "year": 2001,
                "runtime": 118,
                "torrents": torrents,
                **movie,
            }
        ]
    return {"status": "ok", "status_message": "Query was successful", "data": data}


def list_page(page: int, ids: list[int], total_pages: int = 5) -> dict[str, Any]:
    return {
        "page": page,
        "results": [{"id": i, "title": f"Movie {i}"} for i in ids],
        "total_pages": total_pages,
        "total_results": total_pages * 20,
    }


def genre_list(pairs: list[tuple[int, str]]) -> dict[str, Any]:
    return {"genres": [{"id": i, "name": n} for i, n in pairs]}


CONFIGURATION = {
    "images": {
        "base_url": "http://image.tmdb.org/t/p/",
        "secure_base_url": "https://image.tmdb.org/t/p/",
        "backdrop_sizes": ["w300", "original"],
        "logo_sizes": ["w45", "original"],
        "poster_sizes": ["w92", "w500", "original"],
    }
}


def imdb_of(tmdb_id: int) -> str:
    return f"tt{tmdb_id:07d}"


def synthetic_catalogue(
    writer: RawWriter, movies: int, torrents_per_movie: int = 4, seed: int = 0
) -> None:
    """A clean catalogue: configuration, genres, lists and movies with YTS torrents."""
    rnd = random.Random(seed)
    writer.configuration(CONFIGURATION)
    writer.genres(genre_list([(18, "Drama"), (28, "Action"), (35, "Comedy")]), "en")
    ids = list(range(1, movies + 1))
    for page in range(1, min(5, movies // 20) + 1):
        writer.list_page(list_page(page, ids[(page - 1) * 20 : page * 20]), "popular", page)
    qualities = ["720p", "1080p", "2160p", "1080p", "480p", "3D"]
    for tmdb_id in ids:
        imdb = imdb_of(tmdb_id)
        writer.movie(tmdb_movie(tmdb_id, imdb, runtime=rnd.randint(80, 180)), tmdb_id)
        torrents = []
        for n in range(torrents_per_movie):
            quality = qualities[n % len(qualities)]
            uhd = quality == "2160p"
            torrents.append(
                yts_torrent(
                    f"{rnd.getrandbits(160):040X}",
                    quality,
                    type=rnd.choice(["bluray", "web"]),
                    video_codec="x265" if uhd or rnd.random() < 0.2 else "x264",
                    bit_depth="10" if uhd else "8",
                    seeds=rnd.choice([0, 2, 15, 100, 950]),
                    peers=rnd.randint(0, 120),
                    size_bytes=rnd.randint(600_000_000, 9_000_000_000),
                )
            )
        writer.yts(yts_envelope(imdb, torrents), imdb)


HTML_DIRT = "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"


def land_catalogue(writer: RawWriter, catalogue: Any, list_pages: int = 3) -> None:
    """Land what ingest would fetch from the fake upstream over ``catalogue``
    (a ``sandbox.catalogue.SyntheticCatalogue``), dirt and 404s included."""
    writer.configuration(catalogue.configuration())
    writer.genres(catalogue.genres("en"), "en")
    for page in range(1, list_pages + 1):
        writer.list_page(catalogue.list_page("popular", page), "popular", page)
    for tmdb_id in [*catalogue.tmdb_ids, *catalogue.missing_ids]:
        body = catalogue.movie(tmdb_id)
        if body is None:
            writer.movie({"success": False, "status_code": 34}, tmdb_id, status=404)
            continue
        dirty = catalogue.dirty_kind(tmdb_id)
        writer.movie(HTML_DIRT if dirty == "tmdb_html" else body, tmdb_id)
        imdb_id = catalogue.imdb_id_of(tmdb_id)
        if imdb_id is None:
            continue
        if dirty == "yts_html":
            writer.yts(HTML_DIRT, imdb_id)
            continue
        movie = catalogue.yts_movie(imdb_id)
        data: dict[str, Any] = {"movie_count": int(movie is not None), "limit": 20}
        if movie is not None:
            data["movies"] = [movie]
        writer.yts(
            {"status": "ok", "status_message": "Query was successful", "data": data}, imdb_id
        )
