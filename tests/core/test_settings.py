"""Settings come from MIAUFLIX_* variables, reject bad values, and are all documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import EnvFileError, Settings, load_settings
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
        ("MIAUFLIX_TMDB_URL", "https://api.themoviedb.org/3/3"),
        ("MIAUFLIX_YTS_URLS", "https://yts.example/api/v2/api/v2"),
        ("MIAUFLIX_ENGINE_HOST", ""),
        ("MIAUFLIX_LOG_LEVEL", "chatty"),
        ("MIAUFLIX_LOG_FORMAT", "xml"),
        ("MIAUFLIX_WAREHOUSE_LOCK_WAIT", "-1"),
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


@pytest.mark.parametrize(
    "given",
    ["https://api.themoviedb.org", "https://api.themoviedb.org/3", "https://api.themoviedb.org/3/"],
)
def test_tmdb_base_is_accepted_with_or_without_its_documented_version(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("MIAUFLIX_TMDB_URL", given)
    assert load_settings().tmdb_url == "https://api.themoviedb.org"


def test_yts_mirrors_are_accepted_with_or_without_api_v2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIAUFLIX_YTS_URLS", "https://a.example/api/v2/,https://b.example/yts")
    assert load_settings().yts_urls == ["https://a.example", "https://b.example/yts"]


def test_a_doubled_api_suffix_is_refused_naming_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIAUFLIX_TMDB_URL", "https://tmdb.example/3/3")
    with pytest.raises(ValidationError, match=re.escape("https://tmdb.example/3/3")):
        load_settings()


def test_log_level_and_format_ignore_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIAUFLIX_LOG_LEVEL", " debug ")
    monkeypatch.setenv("MIAUFLIX_LOG_FORMAT", "JSON")
    settings = load_settings()
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")


def test_dotenv_in_the_working_directory_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "MIAUFLIX_PORT=9001\nMIAUFLIX_ENGINE_PORT=9002\n# a comment\nUNRELATED=1\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIAUFLIX_ENV_FILE", raising=False)
    monkeypatch.delenv("MIAUFLIX_PORT", raising=False)
    monkeypatch.setenv("MIAUFLIX_ENGINE_PORT", "9100")
    settings = load_settings()
    assert (settings.port, settings.engine_port) == (9001, 9100)
    assert load_settings(port=9200).port == 9200


def test_env_file_named_by_miauflix_env_file_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    named = tmp_path / "miauflix.env"
    named.write_text("MIAUFLIX_ENGINE_HOST=0.0.0.0\n")
    monkeypatch.chdir(tmp_path)  # no ./.env here: only the named file counts
    monkeypatch.delenv("MIAUFLIX_ENGINE_HOST", raising=False)
    monkeypatch.setenv("MIAUFLIX_ENV_FILE", str(named))
    assert load_settings().engine_host == "0.0.0.0"


def test_a_missing_named_env_file_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MIAUFLIX_ENV_FILE", str(tmp_path / "absent.env"))
    with pytest.raises(EnvFileError, match=re.escape("absent.env")):
        load_settings()


def test_an_env_file_that_is_not_text_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_bytes(b"MIAUFLIX_PORT=\xff\xfe9000\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIAUFLIX_ENV_FILE", raising=False)
    with pytest.raises(EnvFileError, match=re.escape(".env is not UTF-8")):
        load_settings()
