"""The MP4 index is preloaded where its box headers say it is, before the player asks:
for an index at the end, exactly the pieces from the ``moov`` box to the end of the file,
and nothing between the head and it."""

from __future__ import annotations

import httpx
import pytest

from core.crypto import FieldCipher
from core.settings import Settings
from tests.engine.conftest import (
    CatalogSource,
    Swarm,
    start_engine,
    stop_engine,
    wait_until,
    with_bt_port,
    write_catalog,
)
from tests.engine.test_mp4 import top_level


@pytest.fixture
def catalog(
    settings: Settings, cipher: FieldCipher, catalog_sources: list[CatalogSource]
) -> Settings:
    write_catalog(settings.catalog_path, cipher, catalog_sources)
    return with_bt_port(settings)


def test_reading_the_head_of_a_tail_index_mp4_preloads_its_moov_and_nothing_between(
    catalog: Settings, swarm: Swarm
) -> None:
    swarm.seeder.set_upload_rate_limit(400_000)  # slow enough to see what is asked for
    moov_start, moov_end = top_level(swarm.tail_index.path)[b"moov"]
    run = start_engine(catalog)
    try:
        with httpx.Client(timeout=30) as client:
            head = client.get(run.url("u", "src-tail"), headers={"Range": "bytes=0-1023"})
        assert head.status_code == 206
        torrent = run.engine.torrent_for("src-tail")
        assert torrent is not None
        span = torrent.span
        moov_pieces = set(span.pieces_for(moov_start, moov_end - moov_start))
        assert not torrent.awaiting_index()
        assert moov_pieces <= torrent.planner.preload
        assert wait_until(lambda: all(torrent.has(p) for p in moov_pieces), timeout=20)
        head = span.pieces_for(0, torrent.planner.config.head_bytes)
        between = range(head.stop, min(moov_pieces))
        assert len(between) > 10
        assert not any(torrent.has(p) for p in between)  # no fixed-size guess, no read-ahead
    finally:
        stop_engine(run)


def test_a_faststart_mp4_needs_no_tail(catalog: Settings, swarm: Swarm) -> None:
    swarm.seeder.set_upload_rate_limit(400_000)
    run = start_engine(catalog)
    try:
        with httpx.Client(timeout=30) as client:
            head = client.get(run.url("u", "src-fast"), headers={"Range": "bytes=0-1023"})
        assert head.status_code == 206
        torrent = run.engine.torrent_for("src-fast")
        assert torrent is not None
        _, moov_end = top_level(swarm.faststart.path)[b"moov"]
        assert moov_end < torrent.size // 2  # the index is in front
        assert not torrent.awaiting_index()
        assert torrent.span.last_piece not in torrent.planner.preload
    finally:
        stop_engine(run)
