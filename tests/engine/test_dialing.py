"""Mixed uTP/TCP dialing: with uTP on (production's default) the engine still streams from a
peer that speaks TCP only (the sandbox seeder), falling back after the uTP attempt."""

from __future__ import annotations

import httpx

from core.crypto import FieldCipher
from core.settings import Settings
from tests.engine.conftest import (
    CatalogSource,
    Swarm,
    start_engine,
    stop_engine,
    with_bt_port,
    write_catalog,
)


def test_an_engine_dialing_utp_first_streams_from_a_tcp_only_seeder(
    settings: Settings, cipher: FieldCipher, catalog_sources: list[CatalogSource], swarm: Swarm
) -> None:
    write_catalog(settings.catalog_path, cipher, catalog_sources)
    run = start_engine(with_bt_port(settings), engine_utp=True)
    try:
        with httpx.Client(timeout=60) as client:
            body = client.get(run.url("u", "src-fast")).content
        assert body == swarm.faststart.path.read_bytes()
        handle = run.engine._handles[swarm.faststart.info_hash]
        assert handle.stats().num_peers >= 1
    finally:
        stop_engine(run)
