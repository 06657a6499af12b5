"""Fixtures of the warehouse tests: an in-memory warehouse and a raw-table writer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.rawdata import RawWriter, load_samples
from warehouse.schema import ensure_base_schema


@pytest.fixture
def wh() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory warehouse with the raw and bookkeeping tables."""
    con = duckdb.connect()
    ensure_base_schema(con)
    yield con
    con.close()


@pytest.fixture
def raw(wh: duckdb.DuckDBPyConnection) -> RawWriter:
    return RawWriter(wh)


@pytest.fixture
def sampled(raw: RawWriter, samples_dir: Path) -> RawWriter:
    """The warehouse with every recorded TMDB/YTS sample landed once."""
    load_samples(raw, samples_dir)
    raw.flush()
    return raw
