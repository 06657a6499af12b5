"""Per-source outcomes the engine records for the ranking (core/source_outcomes.py).

Calls from the streaming path only put an event on a queue; one small writer thread
appends batches to ``source_outcomes.sqlite``. Recording never blocks or fails a stream:
a full queue drops the event and a write error is logged.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from core.source_outcomes import OutcomeEvent, OutcomeWriter, outcomes_path
from engine.errors import MetadataTimeout, NoPlayableFile, SourceResolveError

log = logging.getLogger("miauflix.engine.outcomes")

QUEUE_SIZE = 10_000
BATCH = 256


class OutcomeRecorder:
    """Queue + writer thread; every method is safe to call from any thread."""

    def __init__(self, data_dir: Path) -> None:
        self._writer = OutcomeWriter(outcomes_path(data_dir))
        self._queue: queue.Queue[OutcomeEvent | None] = queue.Queue(QUEUE_SIZE)
        self._first_bytes: set[int] = set()  # torrents (by id) whose first byte is recorded
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="miauflix-outcomes", daemon=True)
        self._thread.start()

    # --- hooks ----------------------------------------------------------------------------

    def record(
        self,
        source_id: str,
        kind: str,
        *,
        ms: float | None = None,
        peers: int | None = None,
        rate: float | None = None,
    ) -> None:
        try:
            self._queue.put_nowait(OutcomeEvent(source_id, kind, ms, peers, rate))
        except queue.Full:
            log.warning("outcome queue full: %s of source %s not recorded", kind, source_id)

    def opened(self, torrent: Any, started: float) -> None:
        """The source became playable ``started`` (monotonic) seconds ago."""
        peers, rate = _swarm(torrent)
        ms = (time.monotonic() - started) * 1000
        self.record(torrent.source_id, "opened", ms=ms, peers=peers, rate=rate)

    def failed(self, source_id: str, exc: BaseException) -> None:
        """An opening ended with ``exc``: record the kinds the ranking cares about."""
        if isinstance(exc, MetadataTimeout):
            self.record(source_id, "metadata_timeout")
        elif isinstance(exc, NoPlayableFile):
            self.record(source_id, "no_playable_file")
        elif isinstance(exc, SourceResolveError):
            self.record(source_id, "unreachable")

    def first_byte(self, torrent: Any, started: float) -> None:
        """The first body byte of ``torrent`` (once per opened torrent) went out."""
        with self._lock:
            if id(torrent) in self._first_bytes:
                return
            if len(self._first_bytes) > 10_000:
                self._first_bytes.clear()
            self._first_bytes.add(id(torrent))
        peers, rate = _swarm(torrent)
        ms = (time.monotonic() - started) * 1000
        self.record(torrent.source_id, "first_byte", ms=ms, peers=peers, rate=rate)

    def stalled(self, torrent: Any) -> None:
        peers, rate = _swarm(torrent)
        self.record(torrent.source_id, "stalled", peers=peers, rate=rate)

    # --- writer ---------------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every queued event is written (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._writer.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [e for e in batch if e is not None]
            try:
                self._writer.append(events)
            except Exception:  # recording must never take the engine down
                log.exception("could not record %d source outcome(s)", len(events))
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(events) < len(batch):
                return


def _swarm(torrent: Any) -> tuple[int | None, float | None]:
    try:
        stats = torrent.handle.stats()
        return int(stats.num_peers), float(stats.download_rate)
    except Exception:  # a torrent being removed: no figures
        return None, None
