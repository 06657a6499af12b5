"""EZTV mirror settings: a comma-separated list, the documented ``/api`` base accepted, and
anything that is not an http(s) base refused with the service named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_eztv_mirrors_are_split_and_the_documented_api_base_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIAUFLIX_EZTV_URLS", "https://eztvx.to/api/, https://eztv.re/")
    monkeypatch.setenv("MIAUFLIX_EZTV_RATE_LIMIT", "2.5")
    settings = Settings()
    assert settings.eztv_urls == ["https://eztvx.to", "https://eztv.re"]
    assert settings.eztv_rate_limit == 2.5


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("", "at least one EZTV mirror"),
        ("ftp://eztv.re", "EZTV mirror 'ftp://eztv.re' is not an http(s) URL"),
        ("https://eztv.re/api/api", "repeats '/api'"),
        ("javascript:alert(1)", "is not an http(s) URL"),
    ],
)
def test_bad_eztv_mirrors_are_refused_naming_the_service(urls: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(eztv_urls=urls)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [0, -1, 10_001])
def test_eztv_rate_limit_is_bounded(rate: float) -> None:
    with pytest.raises(ValidationError):
        Settings(eztv_rate_limit=rate)
