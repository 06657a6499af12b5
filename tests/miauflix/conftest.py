"""A data directory as the API leaves it: app.sqlite with users and sessions, a catalog,
the key file."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from core.crypto import Keyring
from core.settings import Settings, load_settings
from serve.appdb import AppDB
from serve.passwords import hash_password
from serve.sessions import SessionStore

ADMIN, ADMIN_PASSWORD = "admin@example.com", "old admin password 0123"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class DataDir:
    settings: Settings
    admin_id: int
    refresh_tokens: list[str]

    @property
    def path(self) -> Path:
        return self.settings.data_dir

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
        env.update(MIAUFLIX_DATA_DIR=str(self.path), PYTHONPATH=str(ROOT))
        return env


@pytest.fixture
def service_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataDir:
    monkeypatch.delenv("MIAUFLIX_SECRET_KEY", raising=False)
    monkeypatch.delenv("MIAUFLIX_ENV_FILE", raising=False)
    settings = load_settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(mode=0o700)
    Keyring.load(settings.key_path)  # creates secret.key (0600) as the first start does
    db = AppDB(settings.app_db_path)
    db.migrate()
    admin = db.create_user(ADMIN, hash_password(ADMIN_PASSWORD), role="admin")
    db.create_user("viewer@example.com", hash_password("viewer password 0123"))
    store = SessionStore(db, timedelta(days=30), 10)
    tokens = [store.create(admin.id, "tv", "127.0.0.1")[0].refresh_token for _ in range(2)]
    db.close()
    with sqlite3.connect(settings.catalog_path) as catalog:
        catalog.execute("CREATE TABLE movies (tmdb_id INTEGER PRIMARY KEY, title TEXT)")
        catalog.executemany("INSERT INTO movies VALUES (?, ?)", [(1, "One"), (2, "Two")])
    catalog.close()
    return DataDir(settings, admin.id, tokens)
