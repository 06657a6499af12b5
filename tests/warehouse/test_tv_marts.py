"""TV staging and marts: packs map to every episode of their season, singles to theirs;
ranking per episode prefers a single file at equal quality and HDTV < WEBRip < WEB-DL <
BluRay; what cannot be placed is quarantined with its reason and still reconciles."""

from __future__ import annotations

import duckdb
import pytest

from tests.warehouse.rawdata import RawWriter, eztv_page
from tests.warehouse.tvdata import IMDB, SHOW, land_show, season_body, show_body, torrent
from warehouse.marts_tv import PACK_POINTS
from warehouse.reconcile import format_reconciliation
from warehouse.transform import transform

H = [f"{n:02x}" * 20 for n in range(1, 20)]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def _ranks(con: duckdb.DuckDBPyConnection, season: int, episode: int) -> list[tuple[str, int]]:
    return [
        (str(h), int(str(r)))
        for h, r in _rows(
            con,
            "SELECT info_hash, rank_tv FROM mart_episode_sources WHERE season_number = "
            f"{season} AND episode_number = {episode} AND rank_tv IS NOT NULL ORDER BY rank_tv",
        )
    ]


def test_a_pack_plays_every_episode_of_its_season_and_a_single_plays_one(raw: RawWriter) -> None:
    land_show(
        raw,
        [
            torrent(H[0], "Show 1220 S01 COMPLETE 720p WEB-DL x264-GRP"),
            torrent(H[1], "Show.1220.S01E02.720p.WEB-DL.x264-GRP"),
        ],
    )
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert summary.reconciliation_ok, format_reconciliation(summary.reconciliation)
    pack = _rows(
        raw.con,
        f"SELECT season_number, episode_number, file_hint, is_pack, c_pack "
        f"FROM mart_episode_sources WHERE info_hash = '{H[0]}' ORDER BY episode_number",
    )
    assert pack == [(1, n, None, True, PACK_POINTS) for n in (1, 2, 3)]
    single = _rows(
        raw.con,
        f"SELECT season_number, episode_number, is_pack, c_pack FROM mart_episode_sources "
        f"WHERE info_hash = '{H[1]}'",
    )
    assert single == [(1, 2, False, 0.0)]
    sources = _rows(
        raw.con,
        "SELECT info_hash, season_number, episode_number, is_pack FROM mart_show_sources "
        "ORDER BY info_hash",
    )
    assert sources == [(H[0], 1, None, True), (H[1], 1, 2, False)]
    assert _rows(raw.con, "SELECT source_count FROM mart_shows") == [(2,)]
    counts = _rows(
        raw.con,
        "SELECT season_number, episode_number, source_count FROM mart_episodes ORDER BY 1, 2",
    )
    assert counts == [(1, 1, 1), (1, 2, 2), (1, 3, 1), (2, 1, 0), (2, 2, 0)]


def test_at_equal_quality_the_single_episode_ranks_above_the_pack(raw: RawWriter) -> None:
    same = {"seeds": 80, "peers": 10, "size_bytes": "500000000"}
    land_show(
        raw,
        [
            torrent(H[0], "Show 1220 S01 COMPLETE 1080p WEB-DL x264-GRP", **same),
            torrent(H[1], "Show 1220 S01E01 1080p WEB-DL x264-GRP", **same),
        ],
    )
    raw.flush()
    transform(raw.con, "run-1")
    assert [h for h, _ in _ranks(raw.con, 1, 1)] == [H[1], H[0]]
    # a better encode inside a pack still wins over a worse single file
    assert [h for h, _ in _ranks(raw.con, 1, 2)] == [H[0]]


def test_sources_rank_hdtv_below_webrip_below_web_dl_below_bluray(raw: RawWriter) -> None:
    same = {"seeds": 80, "peers": 10, "size_bytes": "500000000"}
    land_show(
        raw,
        [
            torrent(H[0], "Show 1220 S01E01 720p HDTV x264-A", **same),
            torrent(H[1], "Show 1220 S01E01 720p WEBRip x264-B", **same),
            torrent(H[2], "Show 1220 S01E01 720p WEB-DL x264-C", **same),
            torrent(H[3], "Show 1220 S01E01 720p BluRay x264-D", **same),
        ],
    )
    raw.flush()
    transform(raw.con, "run-1")
    assert [h for h, _ in _ranks(raw.con, 1, 1)] == [H[3], H[2], H[1], H[0]]
    types = dict(_rows(raw.con, "SELECT info_hash, source_type FROM mart_show_sources"))
    assert [types[h] for h in H[:4]] == ["hdtv", "webrip", "web", "bluray"]


def test_x265_sources_are_ranked_for_tv_but_not_for_the_browser(raw: RawWriter) -> None:
    land_show(raw, [torrent(H[0], "Show 1220 S01E01 1080p WEB-DL HEVC-GRP")])
    raw.flush()
    transform(raw.con, "run-1")
    row = _rows(raw.con, "SELECT video_codec FROM mart_show_sources")
    ranks = _rows(raw.con, "SELECT score_web, rank_web, rank_tv FROM mart_episode_sources")
    assert row == [("x265",)]
    assert ranks[0][:2] == (None, None) and ranks[0][2] == 1


@pytest.mark.parametrize(
    ("title", "overrides", "reason"),
    [
        ("The Show Behind the Scenes", {}, "unparseable release name: no season"),
        ("Show 1220 S01E24-S02E01 720p HDTV x264-GRP", {}, "unparseable release name: several"),
        ("Show 1220 S01E03-E01 720p HDTV x264-GRP", {}, "unparseable release name: episodes"),
        ("Show 1220 S01E00 720p HDTV x264-GRP", {}, "unparseable release name: episode 0"),
        ("Show 1220 S01E02 720p HDTV x264-GRP", {"episode": "3"}, "release name disagrees"),
        ("Show 1220 S02E01 720p HDTV x264-GRP", {"season": "1"}, "release name disagrees"),
        ("Show 1220 S01E02 720p HDTV x264-GRP", {"episode": "0"}, "release name disagrees"),
        ("The Show S01E01 720p HDTV x264-GRP", {"title": "  "}, "unparseable release name: empty"),
        ("Show 1220 S01E01 720p HDTV x264-GRP", {"seeds": -1}, "seeds < 0"),
        ("Show 1220 S01E01 720p HDTV x264-GRP", {"hash": "xyz"}, "bad info_hash"),
        ("Show 1220 S01E01 720p HDTV x264-GRP", {"size_bytes": "0"}, "size_bytes <= 0"),
        ("Show 1220 S01E01 720p HDTV x264-GRP", {"imdb_id": "1234567"}, "imdb mismatch"),
    ],
)
def test_torrents_that_cannot_be_placed_are_quarantined_with_their_reason(
    raw: RawWriter, title: str, overrides: dict[str, object], reason: str
) -> None:
    bad = {**torrent(H[0], title), **overrides}
    land_show(raw, [bad, torrent(H[1], "Show S01E03 720p HDTV x264-G")])
    raw.flush()
    summary = transform(raw.con, "run-1")
    rows = _rows(raw.con, "SELECT reason FROM quarantine WHERE source_table = 'raw_eztv_torrents'")
    assert len(rows) == 1 and str(rows[0][0]).startswith(reason), rows
    assert _rows(raw.con, "SELECT info_hash FROM stg_eztv__torrents") == [(H[1],)]
    assert summary.reconciliation_ok, format_reconciliation(summary.reconciliation)


def test_a_hash_listed_for_two_shows_is_kept_once_and_the_copy_quarantined(
    raw: RawWriter,
) -> None:
    land_show(raw, [torrent(H[0], "Show 1220 S01E01 720p HDTV x264-GRP")])
    other = "tt7654321"
    land_show(raw, [torrent(H[0], "Other S01E01 720p HDTV x264-GRP", other)], 77, other)
    raw.flush()
    summary = transform(raw.con, "run-1")
    reasons = _rows(raw.con, "SELECT reason FROM quarantine WHERE source_table LIKE 'raw_eztv%'")
    assert [str(r[0]).split(":")[0] for r in reasons] == ["duplicate info_hash"]
    assert _rows(raw.con, "SELECT imdb_id FROM stg_eztv__torrents") == [(IMDB,)]
    assert summary.reconciliation_ok


def test_torrents_of_an_unknown_show_stay_staged_but_never_reach_the_marts(
    raw: RawWriter,
) -> None:
    land_show(raw, [torrent(H[0], "Show 1220 S01E01 720p HDTV x264-GRP")])
    stranger = "tt1111111"
    raw.eztv(
        eztv_page(stranger, [torrent(H[1], "X S01E01 720p HDTV x264-G", stranger)]),
        stranger,
    )
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert summary.torrents_without_show == 1
    assert _rows(raw.con, "SELECT info_hash FROM mart_show_sources") == [(H[0],)]


def test_episodes_with_garbage_are_rejected_one_by_one_and_gone_shows_are_gone(
    raw: RawWriter,
) -> None:
    land_show(raw, [])
    body = season_body(1, 3)
    body["episodes"][0]["air_date"] = "1066-10-14"
    body["episodes"][1]["episode_number"] = -1
    raw.season(body, SHOW, 1)  # newer answer for season 1 wins
    raw.show({"success": False, "status_code": 34}, 999, status=404)
    raw.season("<html>502</html>", SHOW, 2, status=502)
    raw.flush()
    summary = transform(raw.con, "run-1")
    episodes = _rows(
        raw.con, "SELECT season_number, episode_number FROM mart_episodes ORDER BY 1, 2"
    )
    assert episodes == [(1, 3), (2, 1), (2, 2)]  # season 2's older good answer is kept
    reasons = sorted(str(r[0]) for r in _rows(raw.con, "SELECT reason FROM quarantine"))
    assert reasons[0] == "air_date out of range"
    assert any(r.startswith("not found upstream") for r in reasons)
    assert summary.gone == 1 and summary.reconciliation_ok


def test_a_show_listed_but_never_fetched_is_quarantined_from_the_list(raw: RawWriter) -> None:
    from tests.warehouse.rawdata import tv_list_page

    land_show(raw, [])
    raw.tv_list_page(tv_list_page([SHOW, 4242]), "top_rated", 1)
    raw.flush()
    transform(raw.con, "run-1")
    members = _rows(raw.con, "SELECT list_name, tmdb_id FROM mart_show_list_members ORDER BY 1")
    assert members == [("popular", SHOW), ("top_rated", SHOW)]
    reasons = [str(r[0]) for r in _rows(raw.con, "SELECT reason FROM quarantine")]
    assert reasons == ["list member not in shows: tmdb_id 4242"]


def test_show_details_carry_translations_images_genres_and_external_ids(raw: RawWriter) -> None:
    raw.show(show_body(tvdb=None), SHOW)
    raw.flush()
    transform(raw.con, "run-1")
    assert _rows(raw.con, "SELECT imdb_id, tvdb_id, episode_runtime_min FROM mart_shows") == [
        (IMDB, 80660, 45)
    ]
    assert _rows(raw.con, "SELECT language, region, name FROM mart_show_translations") == [
        ("es", "ES", "Espectáculo")
    ]
    assert _rows(raw.con, "SELECT kind, file_path FROM mart_show_images") == [("poster", "/p.jpg")]
    assert _rows(raw.con, "SELECT genre_id FROM mart_show_genres") == [(35,)]
    seasons = _rows(raw.con, "SELECT season_number, episode_count FROM mart_seasons ORDER BY 1")
    assert seasons == [(1, 3), (2, 2)]


def test_show_sources_name_the_last_episode_of_a_run_and_null_otherwise(raw: RawWriter) -> None:
    land_show(
        raw,
        [
            torrent(H[0], "Show.1220.S01E01.720p.WEB-DL.x264-GRP"),
            torrent(H[1], "Show.1220.S01E02E03.720p.WEB-DL.x264-GRP"),
            torrent(H[2], "Show 1220 1x01-1x03 HDTV x264-C"),
            torrent(H[3], "Show 1220 S01 COMPLETE 720p WEB-DL x264-GRP"),
            torrent(H[4], "Show 1220 S02E02-E04 720p HDTV x264-GRP"),  # past the season's end
        ],
    )
    raw.flush()
    summary = transform(raw.con, "run-1")
    assert summary.reconciliation_ok, format_reconciliation(summary.reconciliation)
    rows = _rows(
        raw.con,
        "SELECT info_hash, season_number, episode_number, last_episode_number, is_pack "
        "FROM mart_show_sources ORDER BY info_hash",
    )
    assert rows == [
        (H[0], 1, 1, None, False),
        (H[1], 1, 2, 3, False),
        (H[2], 1, 1, 3, False),
        (H[3], 1, None, None, True),
        (H[4], 2, 2, 4, False),  # what the release holds, not only the episodes TMDB lists
    ]
    column = _rows(
        raw.con,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'mart_show_sources' AND column_name = 'last_episode_number'",
    )
    assert column == [("INTEGER",)]
