"""Publish a warehouse from a separate process, pausing mid-write (for the crash test).

``python -m tests.helpers.publish_worker WAREHOUSE CATALOG MARKER RUN_ID``: publishes with a
progress hook that, at the first batch of ``sources``, writes MARKER and sleeps, so the
parent can SIGKILL this process while ``catalog.sqlite.<run_id>.tmp`` is half written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.helpers.catalog import TEST_KEYS, cipher
from warehouse.db import connect_warehouse
from warehouse.publish import publish_catalog


def main(argv: list[str]) -> int:
    warehouse_path, catalog_path, marker, run_id = argv
    con = connect_warehouse(Path(warehouse_path), TEST_KEYS, read_only=True)

    def pause(table: str, rows: int) -> None:
        if table == "sources":
            Path(marker).write_text(f"{table}:{rows}")
            time.sleep(600)

    publish_catalog(con, Path(catalog_path), cipher(), run_id, on_progress=pause)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
