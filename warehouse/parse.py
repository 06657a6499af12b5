"""Shared parsing machinery for upstream bodies (see parse_tmdb.py and parse_yts.py).

Pure functions over text: no database here. Validation is pydantic (TypedDicts through
``TypeAdapter.validate_json``: the JSON is parsed and checked in Rust, records come out as
dicts); renaming and normalising happen vectorised in warehouse/normalize.py.

A whole body that cannot be used raises :class:`InvalidPayload`; a single bad record inside
a good body is returned as a :class:`Rejected` next to the good ones. Reasons read
``"<category>: <detail>"`` with a stable category (``malformed JSON``, ``missing key``,
``wrong type``, ``size_bytes <= 0``, ...): analysts group by the text before the colon.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from warehouse.errors import WarehouseError

QUALITIES: dict[str, tuple[int, bool]] = {  # quality -> (resolution, is_3d)
    "480p": (480, False),
    "720p": (720, False),
    "1080p": (1080, False),
    "2160p": (2160, False),
    "3D": (1080, True),
}
MAX_SIZE_BYTES = 1_000_000_000_000  # 1 TB: anything bigger is not a movie torrent
IMDB_RE = re.compile(r"^tt[0-9]{7,10}$")  # ASCII digits only: \d is Unicode
INT32 = 2**31 - 1
STRICT = ConfigDict(allow_inf_nan=False, extra="ignore")


class InvalidPayload(WarehouseError):
    """A whole response body is unusable; ``reason`` is what goes into the quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Rejected:
    """One record inside a usable body that failed validation."""

    record_key: str | None
    reason: str
    payload: str


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def check(predicate: Any, message: str) -> AfterValidator:
    def check(value: Any) -> Any:
        if value is not None and not predicate(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


Blank = BeforeValidator(_blank_to_none)  # "" means "unknown" in both upstreams
Text = Annotated[str, Field(max_length=20_000)]
Short = Annotated[str, Field(max_length=1_000)]
Count = Annotated[int, Field(ge=0, le=INT32)]
Id = Annotated[int, Field(gt=0, lt=2**53)]
ImdbCode = Annotated[str, Field(pattern=IMDB_RE.pattern, max_length=12)]
Imdb = Annotated[ImdbCode | None, Blank]


# Constraints checked natively by pydantic-core (fast), named the way the quarantine reads.
NATIVE_REASONS: dict[tuple[str, str], str] = {
    ("hash", "string_pattern_mismatch"): "bad info_hash: not 40 hex characters",
    ("imdb_code", "string_pattern_mismatch"): "bad imdb_id: not tt + 7-10 digits",
    ("imdb_id", "string_pattern_mismatch"): "bad imdb_id: not tt + 7-10 digits",
    ("quality", "literal_error"): "unknown quality",
    ("seeds", "greater_than_equal"): "seeds < 0",
    ("peers", "greater_than_equal"): "peers < 0",
    ("size_bytes", "greater_than"): "size_bytes <= 0",
    ("size_bytes", "less_than_equal"): "size_bytes > 1 TB",
}


def describe(exc: ValidationError) -> str:
    """A readable quarantine reason from the first pydantic error (+ how many more)."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    loc = ".".join(str(part) for part in first["loc"]) or "body"
    kind, msg = first["type"], first["msg"]
    field = str(first["loc"][-1]) if first["loc"] else ""
    native = NATIVE_REASONS.get((field, kind))
    if native is not None:
        text = f"{native}: {msg}" if native == "unknown quality" else native
    elif kind == "json_invalid":
        text = f"malformed JSON: {msg.removeprefix('Invalid JSON: ')}"
    elif kind == "missing":
        text = f"missing key: {loc}"
    elif kind == "value_error":
        text = msg.removeprefix("Value error, ")
    else:
        text = f"wrong type: {loc}: {msg}"
    return text if len(errors) == 1 else f"{text} (+{len(errors) - 1} more)"


def check_body(payload: str | None) -> str:
    """Reject empty, HTML and TMDB-error bodies early with a clear reason; return the body."""
    if payload is None or not payload.strip():
        raise InvalidPayload("malformed JSON: empty body")
    head = payload.lstrip()[:1]
    if head == "<":
        raise InvalidPayload("malformed JSON: HTML body instead of JSON")
    if head != "{":
        raise InvalidPayload("malformed JSON: body is not a JSON object")
    if '"status_code"' in payload[:300] and '"success"' in payload[:300]:
        try:
            loaded = json.loads(payload)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict) and loaded.get("success") is False:
            raise InvalidPayload(
                f"upstream error body: status_code {loaded.get('status_code')}: "
                f"{str(loaded.get('status_message'))[:200]}"
            )
    return payload


def validate_json(adapter: TypeAdapter[Any], payload: str | None) -> Any:
    body = check_body(payload)
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        raise InvalidPayload(describe(exc)) from None


def validate_items(
    adapter: TypeAdapter[Any], items: list[Any], key: Any
) -> tuple[list[Any], list[Rejected]]:
    """Validate records one by one; ``key(index, item)`` names a rejected one."""
    good: list[Any] = []
    bad: list[Rejected] = []
    for index, item in enumerate(items):
        try:
            good.append(adapter.validate_python(item))
        except ValidationError as exc:
            bad.append(Rejected(key(index, item), describe(exc), json.dumps(item)[:20_000]))
    return good, bad
