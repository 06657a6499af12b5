"""Rendered catalogue responses cached per catalog snapshot (per process, bounded LRU).

``catalog.sqlite`` is an immutable file that publish (and ``keys rotate``) replaces with
an atomic rename, and catalogue answers are the same for every signed-in user. So the
JSON body of a catalogue endpoint is a pure function of (snapshot, endpoint, validated
parameters) and can be reused. The cache sits *after* authentication and the rate limit
(the blueprint hooks run first on every request), is keyed by the snapshot identity plus
the endpoint and its normalised, validated parameters, and is emptied as soon as a request
sees a different snapshot. Errors (400, 404, ...) are never cached: they are raised
before a body exists.

Bounded by entry count and by body bytes (least recently used evicted first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify

from core.catalog.snapshots import CatalogSnapshot

# A movie answer is ~0.5-3 KB and a page of 20 ~6 KB: the byte budget is the real bound
# (~10k movie answers per worker).
DEFAULT_MAX_ENTRIES = 16_384
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
# A body larger than this share of the budget is served but not kept.
_MAX_ENTRY_SHARE = 8


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    mimetype: str


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    hits: int
    misses: int
    generation: Hashable


def snapshot_key(snapshot: CatalogSnapshot) -> Hashable:
    """The identity of one published catalog file: inode/device/mtime/size plus its
    version row (so even a reused inode with the same size and mtime cannot alias)."""
    return (snapshot.identity, snapshot.version.run_id, snapshot.version.published_at)


class ResponseCache:
    """Thread-safe LRU of rendered bodies for the current snapshot only."""

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_entries < 0 or max_bytes < 0:
            raise ValueError(f"cache bounds must be >= 0 (got {max_entries}, {max_bytes})")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, CachedBody] = OrderedDict()
        self._bytes = 0
        self._generation: Hashable = None
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def _switch(self, generation: Hashable) -> None:
        """Forget everything when a request sees another snapshot (lock held)."""
        if generation != self._generation:
            self._entries.clear()
            self._bytes = 0
            self._generation = generation

    def get(self, generation: Hashable, key: Hashable) -> CachedBody | None:
        if not self.enabled:
            return None
        with self._lock:
            self._switch(generation)
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry

    def put(self, generation: Hashable, key: Hashable, entry: CachedBody) -> None:
        size = len(entry.body)
        if not self.enabled or size > self.max_bytes // _MAX_ENTRY_SHARE:
            return
        with self._lock:
            self._switch(generation)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _key, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._generation = None

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                len(self._entries), self._bytes, self._hits, self._misses, self._generation
            )


def cached_json(
    cache: ResponseCache,
    snapshot: CatalogSnapshot,
    key: Hashable,
    build: Callable[[], Any],
) -> Response:
    """The JSON answer for ``key`` on ``snapshot``: the cached body, or ``build()``
    rendered with ``jsonify`` (and kept). ``key`` must hold the endpoint name and every
    validated parameter the answer depends on."""
    generation = snapshot_key(snapshot)
    hit = cache.get(generation, key)
    if hit is not None:
        return current_app.response_class(hit.body, mimetype=hit.mimetype)
    response = jsonify(build())
    cache.put(generation, key, CachedBody(response.get_data(), response.mimetype or ""))
    return response
