"""The ``trakt`` Prefect flow (what the deployment and ``miauflix sync --scope trakt`` run):
every linked user ingested, and no token in Prefect's parameters, results or database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.appdb import AppDatabase, now_iso
from core.settings import Settings, load_settings
from miauflix.sync_command import run_trakt_sync
from sandbox.catalogue import SyntheticCatalogue
from sandbox.fake_upstream import RunningUpstream, UpstreamConfig, start_fake_upstream
from tests.helpers.trakt import (
    CLIENT_ID,
    CLIENT_SECRET,
    build_catalogue_warehouse,
    every_file_bytes,
    fake_trakt,
    link_user,
    scaled_client,
)

CATALOGUE = SyntheticCatalogue(80, seed=5, shows=8)


@pytest.fixture
def env_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, RunningUpstream]]:
    with start_fake_upstream(UpstreamConfig(catalogue=CATALOGUE, trakt_client_id=CLIENT_ID)) as up:
        fake_trakt(up).auth.device_interval = 0
        env = {
            "MIAUFLIX_DATA_DIR": str(settings.data_dir),
            "MIAUFLIX_SECRET_KEY": settings.secret_key.get_secret_value(),
            "MIAUFLIX_TRAKT_URL": f"{up.base_url}/trakt",
            "MIAUFLIX_TRAKT_CLIENT_ID": CLIENT_ID,
            "MIAUFLIX_TRAKT_CLIENT_SECRET": CLIENT_SECRET,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield load_settings(), up


def _prefect_files() -> bytes:
    """Prefect's database and home, wherever the harness put them."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    url = str(current.server.database.connection_url.get_secret_value()
              if hasattr(current.server.database.connection_url, "get_secret_value")
              else current.server.database.connection_url)  # fmt: skip
    blobs = [every_file_bytes(Path(current.home))]
    if "sqlite" in url:
        db = Path(url.split(":///", 1)[1])
        blobs += [p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file()]
    return b"".join(blobs)


@pytest.mark.usefixtures("prefect_harness")
def test_sync_scope_trakt_ingests_every_linked_user_and_leaks_no_token(
    env_settings: tuple[Settings, RunningUpstream], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, up = env_settings
    build_catalogue_warehouse(settings, CATALOGUE)
    db = AppDatabase(settings.app_db_path)
    db.migrate()
    con = db.connection()
    users = [
        int(con.execute("INSERT INTO users (email, password_hash, created_at) VALUES (?, 'x', ?)",
                        (f"u{n}@example.test", now_iso())).lastrowid or 0)
        for n in range(2)
    ]  # fmt: skip
    db.close()
    with scaled_client(settings) as client:
        for n, uid in enumerate(users):
            link_user(settings, up, client, uid, f"flow-user-{n}")
    assert run_trakt_sync(settings) == 0
    out = capsys.readouterr().out
    assert "2 linked users, 0 failed" in out
    auth = fake_trakt(up).auth
    secrets = [*auth.access, *auth.refresh]
    prefect_blob = _prefect_files()
    assert b"trakt" in prefect_blob  # the flow run is recorded there ...
    assert all(s.encode() not in prefect_blob for s in secrets)  # ... without any token
    data_blob = every_file_bytes(settings.data_dir)
    assert all(s.encode() not in data_blob for s in secrets)
