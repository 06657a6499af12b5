"""One clock convention: naive UTC, as every TIMESTAMP column in the warehouse stores it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (the warehouse's TIMESTAMP convention)."""
    return datetime.now(UTC).replace(tzinfo=None)
