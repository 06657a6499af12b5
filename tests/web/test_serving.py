"""serve/web.py: the built client at / with SPA fallback, hashed assets cached for a year
(gzip when accepted), index.html never cached, 503 JSON when unbuilt, /api 404s stay JSON."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from core.settings import Settings
from serve.app import create_app
from serve.web import DIST_KEY


def _client(settings: Settings, dist: Path) -> FlaskClient:
    app = create_app(settings)
    app.config[DIST_KEY] = str(dist)
    return app.test_client()


def _dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Miauflix</title>")
    (dist / "assets" / "app-ABCDEF12.js").write_text("console.log('x')")
    (dist / "assets" / "app-ABCDEF12.js.gz").write_bytes(b"\x1f\x8bfake")
    return dist


def test_index_and_client_routes_answer_the_app_uncached(
    settings: Settings, tmp_path: Path
) -> None:
    client = _client(settings, _dist(tmp_path))
    for path in ("/", "/movie/5", "/admin/users", "/watch/5?source=x"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert b"Miauflix" in answer.data
        assert answer.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_hashed_assets_are_immutable_and_gzipped_when_accepted(
    settings: Settings, tmp_path: Path
) -> None:
    client = _client(settings, _dist(tmp_path))
    plain = client.get("/assets/app-ABCDEF12.js")
    assert plain.status_code == 200 and plain.data == b"console.log('x')"
    assert "immutable" in plain.headers["Cache-Control"]
    packed = client.get("/assets/app-ABCDEF12.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.mimetype == "text/javascript"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert client.get("/assets/missing-ABCDEF12.js").status_code == 404


def test_api_paths_never_fall_back_to_the_client(settings: Settings, tmp_path: Path) -> None:
    client = _client(settings, _dist(tmp_path))
    for method, path in (("GET", "/api"), ("GET", "/api/nope"), ("POST", "/api/nope")):
        answer = client.open(path, method=method)
        assert answer.status_code == 404, (method, path)
        assert answer.get_json()["error"]["code"] == "not_found"
    assert client.post("/api/movies").status_code == 405  # not masked by the fallback


def test_unbuilt_client_answers_503_in_the_error_shape(settings: Settings, tmp_path: Path) -> None:
    client = _client(settings, tmp_path / "nothing")
    answer = client.get("/")
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "web_not_built"
    assert client.get("/movie/1").status_code == 503
