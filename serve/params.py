"""Request input parsing: query parameters and JSON bodies, with errors naming the input."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.routing import IntegerConverter, Map

from serve.errors import ApiError, InvalidBody, InvalidParameter

MAX_ID = 2**31
_INT = re.compile(r"^[0-9]{1,12}$")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?$")

M = TypeVar("M", bound=BaseModel)


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: at most 12 digits and ``<= MAX_ID``, so an id SQLite cannot
    bind (``OverflowError``) never reaches a query; anything else is a 404."""

    regex = r"\d{1,12}"

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)  # type: ignore[arg-type]


def _raw(name: str) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    return value.strip()


def parse_int(name: str, raw: str, low: int, high: int) -> int:
    """``raw`` as a decimal integer in ``[low, high]`` or a 400 naming ``name``."""
    text = raw.strip()
    if not _INT.match(text) or not (low <= int(text) <= high):
        raise InvalidParameter(f"{name} must be an integer between {low} and {high}")
    return int(text)


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    return parse_int(name, raw, low, high)


def choice_arg(name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise InvalidParameter(f"{name} must be one of: {', '.join(choices)}")
    return raw


def text_arg(name: str, max_length: int) -> str | None:
    raw = _raw(name)
    if not raw:
        return None
    if len(raw) > max_length:
        raise InvalidParameter(f"{name} must be at most {max_length} characters")
    if any(ord(ch) < 32 for ch in raw):
        raise InvalidParameter(f"{name} must not contain control characters")
    return raw


def language_arg(default: str = "en") -> tuple[str, str | None]:
    """``language`` as (iso_639_1 lowercase, region uppercase or None): ``es``, ``pt-BR``."""
    raw = _raw("language")
    if raw is None or raw == "":
        return default, None
    match = _LANGUAGE.match(raw)
    if match is None:
        raise InvalidParameter("language must be an ISO 639-1 code, optionally with a region")
    region = match.group(2)
    return match.group(1).lower(), region.upper() if region else None


def json_body(model: type[M]) -> M:
    """The request's JSON object body validated by ``model`` (415 / 400 / 413 otherwise)."""
    if request.mimetype != "application/json":
        raise ApiError(
            "request body must be JSON (Content-Type: application/json)",
            status=415,
            code="unsupported_media_type",
        )
    raw = request.get_data(cache=True)  # raises 413 beyond MAX_CONTENT_LENGTH
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError("request body is not valid JSON", code="malformed_json") from None
    if not isinstance(data, dict):
        raise InvalidBody("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise InvalidBody(f"invalid request body: {problems}") from None


def optional_json_body(model: type[M]) -> M:
    """Like :func:`json_body`, but an empty body means the model's defaults."""
    if not request.get_data(cache=True):
        return model()
    return json_body(model)
