"""The catalog reader: read-only, 503 before the first publish, and a newly published
catalog is served without a restart while the old file stays readable for running work."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.catalog.snapshots import CatalogReader, CatalogUnavailable
from core.settings import Settings
from tests.helpers.catalog import SampleMarts, publish_sample
from tests.serve.conftest import assert_error


@pytest.mark.parametrize("path", ["/api/movies", "/api/movies/550", "/api/lists", "/api/genres"])
def test_catalogue_endpoints_answer_503_before_the_first_publish(
    client: FlaskClient, auth: dict[str, str], path: str
) -> None:
    message = assert_error(client.get(path, headers=auth), 503, "catalog_unavailable")
    assert "published" in message


def test_status_still_answers_before_the_first_publish(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = client.get("/api/status", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["catalog"] is None


def test_new_catalog_is_served_without_restart(
    client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    assert_error(client.get("/api/movies/550", headers=auth), 503, "catalog_unavailable")
    publish_sample(settings.catalog_path, run_id="run-a")
    first = client.get("/api/movies/550", headers=auth).get_json()
    assert first["title"] == "Fight Club"
    assert client.get("/api/status", headers=auth).get_json()["catalog"]["run_id"] == "run-a"

    publish_sample(settings.catalog_path, run_id="run-b", title_suffix=" (Remastered)")
    second = client.get("/api/movies/550", headers=auth).get_json()
    assert second["title"] == "Fight Club (Remastered)"
    assert client.get("/api/status", headers=auth).get_json()["catalog"]["run_id"] == "run-b"


def test_new_catalog_is_picked_up_by_every_thread(settings: Settings) -> None:
    publish_sample(settings.catalog_path, run_id="run-a")
    reader = CatalogReader(settings.catalog_path)
    seen: dict[str, list[str]] = {"before": [], "after": []}
    published_b = threading.Event()

    def worker() -> None:
        seen["before"].append(reader.snapshot().version.run_id)
        published_b.wait(timeout=30)
        seen["after"].append(reader.snapshot().version.run_id)
        reader.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    while len(seen["before"]) < 4:
        threading.Event().wait(0.01)
    publish_sample(settings.catalog_path, run_id="run-b")
    published_b.set()
    for thread in threads:
        thread.join(timeout=30)
    assert seen == {"before": ["run-a"] * 4, "after": ["run-b"] * 4}


def test_a_snapshot_held_during_a_publish_keeps_reading_the_old_file(settings: Settings) -> None:
    publish_sample(settings.catalog_path, run_id="run-a")
    reader = CatalogReader(settings.catalog_path)
    old = reader.snapshot()
    publish_sample(settings.catalog_path, run_id="run-b", title_suffix=" II")
    # The old connection still reads the old (now unlinked) file consistently.
    assert old.query("SELECT title FROM movies WHERE tmdb_id = 550")[0][0] == "Fight Club"
    new = reader.snapshot()
    assert new.version.run_id == "run-b"
    assert new.query("SELECT title FROM movies WHERE tmdb_id = 550")[0][0] == "Fight Club II"


def test_connection_is_read_only(settings: Settings, published: SampleMarts) -> None:
    snapshot = CatalogReader(settings.catalog_path).snapshot()
    with pytest.raises(sqlite3.OperationalError):
        snapshot.connection.execute("DELETE FROM movies")
    with pytest.raises(sqlite3.OperationalError):
        snapshot.connection.execute("CREATE TABLE evil (x)")
    # Even with query_only switched off, the file itself is opened mode=ro.
    snapshot.connection.execute("PRAGMA query_only=0")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        snapshot.connection.execute("DELETE FROM movies")


def test_reader_never_creates_a_missing_catalog(settings: Settings) -> None:
    with pytest.raises(CatalogUnavailable):
        CatalogReader(settings.catalog_path).snapshot()
    assert not settings.catalog_path.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not sqlite", b"SQLite format 3\x00" + b"\x00" * 200],
)
def test_garbage_catalog_file_is_a_503_not_a_crash(
    client: FlaskClient, auth: dict[str, str], settings: Settings, content: bytes
) -> None:
    settings.catalog_path.write_bytes(content)
    assert_error(client.get("/api/movies", headers=auth), 503, "catalog_unavailable")


def test_sqlite_file_without_version_row_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE catalog_version (run_id TEXT, published_at TEXT,"
        " schema_version INTEGER, counts TEXT)"
    )
    con.commit()
    con.close()
    with pytest.raises(CatalogUnavailable, match="no version row"):
        CatalogReader(path).snapshot()


def test_catalog_path_with_uri_special_characters_opens(tmp_path: Path) -> None:
    odd = tmp_path / "we?ird #dir%20" / "catalog.sqlite"
    odd.parent.mkdir()
    publish_sample(odd, run_id="odd")
    assert CatalogReader(odd).snapshot().version.run_id == "odd"


def test_a_catalog_of_an_older_schema_is_a_503_that_says_to_sync(
    settings: Settings, published: SampleMarts
) -> None:
    con = sqlite3.connect(settings.catalog_path)
    con.execute("UPDATE catalog_version SET schema_version = schema_version - 1")
    con.commit()
    con.close()
    with pytest.raises(CatalogUnavailable, match="miauflix sync"):
        CatalogReader(settings.catalog_path).snapshot()
