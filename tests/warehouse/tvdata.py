"""Synthetic TMDB TV and EZTV bodies for the TV warehouse tests (shapes of the samples)."""

from __future__ import annotations

from typing import Any

from tests.warehouse.rawdata import RawWriter, eztv_page, eztv_torrent, tv_list_page

SHOW = 1220
IMDB = "tt0924651"


def show_body(show_id: int = SHOW, imdb: str | None = IMDB, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": show_id,
        "name": f"Show {show_id}",
        "original_name": f"Show {show_id}",
        "original_language": "en",
        "overview": "A show.",
        "first_air_date": "2007-02-22",
        "last_air_date": "2024-06-01",
        "status": "Returning Series",
        "in_production": True,
        "popularity": 55.5,
        "vote_average": 7.1,
        "vote_count": 300,
        "poster_path": "/p.jpg",
        "backdrop_path": "/b.jpg",
        "number_of_seasons": 2,
        "number_of_episodes": 5,
        "episode_run_time": [45],
        "genres": [{"id": 35, "name": "Comedy"}],
        "seasons": [
            {"season_number": 1, "name": "Season 1", "air_date": "2007-02-22", "episode_count": 3},
            {"season_number": 2, "name": "Season 2", "air_date": "2008-02-22", "episode_count": 2},
        ],
        "external_ids": {"imdb_id": imdb, "tvdb_id": 80660},
        "translations": {
            "translations": [
                {"iso_639_1": "es", "iso_3166_1": "ES", "data": {"name": "Espectáculo"}}
            ]
        },
        "images": {"posters": [{"file_path": "/p.jpg", "width": 500, "height": 750}]},
    }
    body.update(overrides)
    return body


def season_body(number: int, episodes: int, **episode_overrides: Any) -> dict[str, Any]:
    return {
        "season_number": number,
        "name": f"Season {number}",
        "episodes": [
            {
                "episode_number": n,
                "season_number": number,
                "name": f"Episode {n}",
                "air_date": f"200{6 + number}-03-{n:02d}",
                "runtime": 45,
                **episode_overrides,
            }
            for n in range(1, episodes + 1)
        ],
    }


def land_show(
    raw: RawWriter, torrents: list[dict[str, Any]], show_id: int = SHOW, imdb: str = IMDB
) -> None:
    """One listed show with seasons 1 (3 episodes) and 2 (2 episodes) and its EZTV page."""
    raw.show(show_body(show_id, imdb), show_id)
    raw.season(season_body(1, 3), show_id, 1)
    raw.season(season_body(2, 2), show_id, 2)
    raw.tv_list_page(tv_list_page([show_id]), "popular", 1)
    raw.eztv(eztv_page(imdb, torrents), imdb)


def torrent(info_hash: str, title: str, imdb: str = IMDB, **overrides: Any) -> dict[str, Any]:
    return eztv_torrent(info_hash, imdb, title, **overrides)
