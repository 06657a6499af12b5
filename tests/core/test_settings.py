"""Settings come from MIAUFLIX_* variables, reject bad values, and are all documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, load_settings
from miauflix.settings_doc import END, START, env_names, render_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme_table() -> None:
    text = README.read_text()
    table = text.split(START, 1)[1].split(END, 1)[0]
    for name in env_names():
        assert f"`{name}`" in table, f"{name} missing from the README settings table"


def test_readme_table_matches_the_code() -> None:
    text = README.read_text()
    assert render_table() in text, "run: python -m miauflix.settings_doc --write"


def test_contract_settings_exist() -> None:
    required = {
        "MIAUFLIX_DATA_DIR", "MIAUFLIX_TMDB_URL", "MIAUFLIX_TMDB_API_KEY", "MIAUFLIX_YTS_URLS",
        "MIAUFLIX_TRAKT_URL", "MIAUFLIX_TRAKT_CLIENT_ID", "MIAUFLIX_TRAKT_CLIENT_SECRET",
        "MIAUFLIX_SECRET_KEY", "MIAUFLIX_ADMIN_EMAIL", "MIAUFLIX_ADMIN_PASSWORD",
        "MIAUFLIX_ENGINE_TRACKERS", "MIAUFLIX_ENGINE_PEERS", "MIAUFLIX_HOST", "MIAUFLIX_PORT",
        "MIAUFLIX_ENGINE_PORT", "MIAUFLIX_ENGINE_BT_PORT", "MIAUFLIX_ENGINE_URL",
    }  # fmt: skip
    assert required <= set(env_names())


def test_yts_mirrors_are_read_in_order_from_a_comma_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIAUFLIX_YTS_URLS", " https://b.example/ ,https://a.example,, ")
    assert load_settings().yts_urls == ["https://b.example", "https://a.example"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MIAUFLIX_PORT", "0"),
        ("MIAUFLIX_PORT", "70000"),
        ("MIAUFLIX_PORT", "eighty"),
        ("MIAUFLIX_TMDB_RATE_LIMIT", "-1"),
        ("MIAUFLIX_YTS_URLS", ","),
        ("MIAUFLIX_YTS_URLS", "ftp://mirror.example"),
        ("MIAUFLIX_TMDB_URL", "javascript:alert(1)"),
        ("MIAUFLIX_TMDB_LIST_PAGES", "501"),
        ("MIAUFLIX_SANDBOX_MOVIES", "100001"),
    ],
)
def test_bad_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        load_settings()


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIAUFLIX_PORT", "9000")
    assert load_settings(port=9100).port == 9100
    assert load_settings(port=None).port == 9000


def test_secrets_do_not_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIAUFLIX_TMDB_API_KEY", "very-secret-tmdb-key")
    settings = Settings()
    assert "very-secret-tmdb-key" not in repr(settings)
    assert settings.tmdb_api_key.get_secret_value() == "very-secret-tmdb-key"
