"""Declarative data-quality expectations, written next to the models they guard.

staging.py and marts.py declare ``SUITES: dict[table, list[Expect]]`` with these helpers;
warehouse/checks.py turns them into great-expectations expectations at run time (so that
importing a model never pays for importing great-expectations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IMDB_PATTERN = r"^tt\d{7,10}$"
HASH_PATTERN = r"^[0-9a-f]{40}$"
FINITE = 1e9  # |points| beyond this is a bug (and NaN/inf are caught by not_null + bounds)


@dataclass(frozen=True)
class Expect:
    """One expectation: ``kind`` plus its column(s) and arguments."""

    kind: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        target = self.column or ",".join(self.columns) or "table"
        return f"{self.kind}({target})"


def not_null(column: str) -> Expect:
    return Expect("not_null", column)


def unique(column: str) -> Expect:
    return Expect("unique", column)


def unique_together(*columns: str) -> Expect:
    return Expect("unique_together", columns=columns)


def matches(column: str, pattern: str) -> Expect:
    return Expect("matches", column, args={"regex": pattern})


def between(column: str, low: float | None = None, high: float | None = None) -> Expect:
    return Expect("between", column, args={"min_value": low, "max_value": high})


def in_set(column: str, values: list[Any]) -> Expect:
    return Expect("in_set", column, args={"value_set": list(values)})


def exists_in(column: str, table: str, ref_column: str) -> Expect:
    """Every value of ``column`` is a value of ``table.ref_column`` (referential integrity)."""
    return Expect("exists_in", column, args={"table": table, "ref_column": ref_column})


def min_rows(count: int) -> Expect:
    return Expect("min_rows", args={"min_value": count})


def finite(column: str) -> list[Expect]:
    """A number that is always set and finite (NaN reads as NULL in pandas)."""
    return [not_null(column), between(column, -FINITE, FINITE)]
