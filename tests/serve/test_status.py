"""/api/status: catalog version and the pipeline's last_sync.json (never the warehouse)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.catalog.contract import SCHEMA_VERSION
from core.settings import Settings
from serve.app import create_app
from serve.extensions import app_db
from serve.tokens import issue_access_token
from tests.helpers.catalog import SampleMarts

LAST_SYNC = {
    "run_id": "sync-7",
    "status": "succeeded",
    "scope": "all",
    "started_at": "2025-01-02T03:00:00Z",
    "finished_at": "2025-01-02T03:04:00Z",
    "seconds": {"ingest": 12.5, "publish": 0.4},
    "dq": {"success": True, "suites": [{"suite": "mart_sources", "success": True}]},
    "error": None,
}


def test_status_reports_catalog_version_and_last_sync(
    client: FlaskClient, auth: dict[str, str], settings: Settings, published: SampleMarts
) -> None:
    (settings.data_dir / "last_sync.json").write_text(json.dumps(LAST_SYNC))
    body = client.get("/api/status", headers=auth).get_json()
    assert body["catalog"]["run_id"] == published.run_id
    assert body["catalog"]["schema_version"] == SCHEMA_VERSION  # bumped by each catalog change
    assert body["catalog"]["counts"]["movies"] == len(published.movies)
    assert body["catalog"]["counts"]["sources"] == len(published.sources)
    assert body["catalog"]["published_at"].endswith("Z")
    assert body["last_sync"] == LAST_SYNC
    assert body["engine"]["url"] == settings.engine_url


def test_status_without_last_sync_file(
    client: FlaskClient, auth: dict[str, str], published: SampleMarts
) -> None:
    assert client.get("/api/status", headers=auth).get_json()["last_sync"] is None


def test_failed_sync_with_failing_suite_is_reported(
    client: FlaskClient, auth: dict[str, str], settings: Settings, published: SampleMarts
) -> None:
    failed = {
        **LAST_SYNC,
        "status": "blocked",
        "dq": {"success": False, "suites": [{"suite": "mart_sources", "success": False}]},
        "error": "data quality suite mart_sources failed",
        "unexpected_extra": "dropped",
    }
    (settings.data_dir / "last_sync.json").write_text(json.dumps(failed))
    body = client.get("/api/status", headers=auth).get_json()["last_sync"]
    assert body["status"] == "blocked"
    assert body["dq"]["success"] is False
    assert "unexpected_extra" not in body


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "[1, 2]", '"text"', "\udcff"],
)
def test_unreadable_last_sync_is_ignored_not_a_crash(
    client: FlaskClient,
    auth: dict[str, str],
    settings: Settings,
    published: SampleMarts,
    content: str,
) -> None:
    (settings.data_dir / "last_sync.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    response = client.get("/api/status", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["last_sync"] is None


def test_oversized_last_sync_is_ignored(
    client: FlaskClient, auth: dict[str, str], settings: Settings, published: SampleMarts
) -> None:
    huge = {**LAST_SYNC, "error": "x" * (2 * 1024 * 1024)}
    (settings.data_dir / "last_sync.json").write_text(json.dumps(huge))
    assert client.get("/api/status", headers=auth).get_json()["last_sync"] is None


def test_non_object_dq_is_dropped(
    client: FlaskClient, auth: dict[str, str], settings: Settings, published: SampleMarts
) -> None:
    (settings.data_dir / "last_sync.json").write_text(json.dumps({**LAST_SYNC, "dq": [1]}))
    body = client.get("/api/status", headers=auth).get_json()["last_sync"]
    assert body["dq"] is None and body["run_id"] == "sync-7"


def test_status_reads_the_record_the_pipeline_writes(
    client: FlaskClient, auth: dict[str, str], settings: Settings, published: SampleMarts
) -> None:
    from datetime import datetime

    from core.last_sync import write_last_sync

    record = {
        "run_id": "flow-run-1",
        "scope": "all",
        "started_at": datetime(2025, 1, 2, 3, 0, 0),
        "dq": {"success": True, "summary": "12 suites passed"},
        "status": "succeeded",
        "finished_at": datetime(2025, 1, 2, 3, 5, 0),
        "seconds": {"ingest": 1.5},
    }
    write_last_sync(settings.data_dir, record)
    body = client.get("/api/status", headers=auth).get_json()["last_sync"]
    assert body["run_id"] == "flow-run-1" and body["status"] == "succeeded"
    assert body["started_at"].startswith("2025-01-02")
    assert body["dq"] == {"success": True, "summary": "12 suites passed"}
    assert body["error"] is None


def _vpn_state(settings: Settings, app_db_template: Path, **overrides: object) -> dict[str, Any]:
    """``engine.vpn`` of /api/status from an app built with ``overrides`` (settings are
    read once per app, as in production)."""
    shutil.copyfile(app_db_template, settings.app_db_path)
    app = create_app(settings.model_copy(update=overrides))
    with app.test_request_context():
        admin = app_db().user_by_email(settings.admin_email)
        assert admin is not None
        token = str(issue_access_token(admin, 60)["access_token"])
    body = app.test_client().get("/api/status", headers={"Authorization": f"Bearer {token}"})
    return dict(body.get_json()["engine"]["vpn"])


def test_status_reports_the_vpn_guard_state(settings: Settings, app_db_template: Path) -> None:
    vpn = _vpn_state(
        settings, app_db_template, require_vpn=True, vpn_interface="wg-miauflix-absent"
    )
    assert vpn["required"] is True
    assert vpn["ok"] is False  # no such interface carries the default route here
    assert vpn["reason"]

    vpn = _vpn_state(settings, app_db_template, require_vpn=False)
    assert vpn["required"] is False and vpn["ok"] is True
