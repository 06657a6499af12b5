"""GET /api/admin/sync: admins only, the run history newest first with a validated limit,
sources per quality from the published catalog, the Prefect UI address, and a sensible
answer before the first publish or the first run."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.last_sync import append_sync_history
from core.settings import Settings
from serve import answers
from serve.admin_sync import prefect_ui_url
from serve.extensions import app_db
from serve.tokens import issue_access_token
from tests.helpers.catalog import SampleMarts
from tests.serve.conftest import assert_error


def _run(n: int, status: str = "succeeded") -> dict[str, Any]:
    return {
        "run_id": f"run-{n}",
        "scope": "all",
        "status": status,
        "started_at": datetime(2026, 1, 1, 10, n, 0),
        "finished_at": datetime(2026, 1, 1, 10, n, 30),
        "seconds": {"ingest": 10.0, "checks": 15.0},
        "dq": {"success": status != "blocked", "suites": []},
        "catalog": {"published": status == "succeeded", "counts": {"movies": 10 + n}},
        "error": "checks failed" if status == "blocked" else None,
    }


def _plain_user_token(app: Flask, client: FlaskClient, auth: dict[str, str]) -> str:
    created = client.post(
        "/api/admin/users",
        json={"email": "viewer@example.test", "password": "purple monkey dishwasher 42"},
        headers=auth,
    )
    assert created.status_code == 201
    with app.test_request_context():
        user = app_db().user_by_id(int(created.get_json()["id"]))
        assert user is not None
        return str(issue_access_token(user, 15)["access_token"])


def test_only_admins_read_the_sync_history(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    assert_error(client.get("/api/admin/sync"), 401)
    token = _plain_user_token(app, client, auth)
    plain = client.get("/api/admin/sync", headers={"Authorization": f"Bearer {token}"})
    assert_error(plain, 403, "admin_required")


def test_runs_newest_first_with_the_live_catalog_and_sources_by_quality(
    client: FlaskClient, auth: dict[str, str], settings: Settings, published: SampleMarts
) -> None:
    for n, status in enumerate(["succeeded", "failed", "blocked", "succeeded"]):
        append_sync_history(settings.data_dir, _run(n, status))
    response = client.get("/api/admin/sync", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    answers.SyncHistory.model_validate(body)
    assert [r["run_id"] for r in body["runs"]] == ["run-3", "run-2", "run-1", "run-0"]
    assert [r["status"] for r in body["runs"]] == ["succeeded", "blocked", "failed", "succeeded"]
    assert body["runs"][0]["seconds"] == 30.0 and body["runs"][0]["phases"]["checks"] == 15.0
    assert body["sources_by_quality"] == dict(Counter(s.quality for s in published.sources))
    resolutions = {s.quality: s.resolution for s in published.sources}
    order = [resolutions[q] for q in body["sources_by_quality"]]
    assert order == sorted(order, reverse=True)
    assert body["catalog"]["run_id"] == published.run_id
    assert body["catalog"]["counts"]["movies"] == len(published.movies)
    assert body["catalog"]["published_at"]
    assert body["prefect_ui_url"] == f"http://localhost:{settings.prefect_ui_port}"


def test_limit_is_validated(client: FlaskClient, auth: dict[str, str], settings: Settings) -> None:
    for n in range(5):
        append_sync_history(settings.data_dir, _run(n))
    body = client.get("/api/admin/sync?limit=2", headers=auth).get_json()
    assert [r["run_id"] for r in body["runs"]] == ["run-4", "run-3"]
    assert len(client.get("/api/admin/sync?limit=500", headers=auth).get_json()["runs"]) == 5
    for bad in ("0", "501", "-1", "ten", "1.5", "1e2"):
        message = assert_error(
            client.get(f"/api/admin/sync?limit={bad}", headers=auth), 400, "invalid_parameter"
        )
        assert "limit" in message


def test_works_before_the_first_run_and_the_first_publish(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = client.get("/api/admin/sync", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {
        "runs": [],
        "sources_by_quality": {},
        "catalog": None,
        "prefect_ui_url": response.get_json()["prefect_ui_url"],
    }


def test_reading_the_history_is_not_an_audited_config_read(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    assert client.get("/api/admin/sync", headers=auth).status_code == 200
    events = client.get("/api/admin/audit?event=admin_read_config", headers=auth).get_json()
    assert events["total_results"] == 0


@pytest.mark.parametrize(
    ("configured", "host", "expected"),
    [
        ("", "media.example:8080", "http://media.example:4200"),
        ("", "[::1]:5000", "http://[::1]:4200"),
        ("", "", None),
        ("off", "media.example", None),
        ("https://prefect.example/ui/", "media.example", "https://prefect.example/ui"),
    ],
)
def test_prefect_ui_address(
    settings: Settings, configured: str, host: str, expected: str | None
) -> None:
    chosen = settings.model_copy(update={"prefect_ui_url": configured})
    chosen = type(settings).model_validate(chosen.model_dump())
    assert prefect_ui_url(chosen, host) == expected


def test_a_prefect_ui_url_with_credentials_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="credentials"):
        type(settings).model_validate(
            {**settings.model_dump(), "prefect_ui_url": "https://u:p@prefect.example"}
        )
