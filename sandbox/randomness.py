"""Deterministic, stateless randomness: every value is a pure function of (seed, id, salt).

``mix`` is splitmix64 folded over its arguments: cheap enough (~0.5 µs) to compute sort keys
for 100,000 movies at construction, and good enough to look random. ``rng`` hands out a
``random.Random`` for the richer, per-record draws.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1
_INV53 = 1.0 / (1 << 53)

# Salts: one per independent attribute so that changing one draw never shifts another.
SALT_POPULARITY = 1
SALT_VOTES = 2
SALT_RELEASE = 3
SALT_IMDB = 4
SALT_YTS = 5
SALT_QUALITIES = 6
SALT_SWARM = 7
SALT_DETAIL = 8
SALT_SUMMARY = 9
SALT_TORRENTS = 10
SALT_DIRTY = 11
SALT_UPLOAD = 12
SALT_TRENDING_DAY = 13
SALT_TRENDING_WEEK = 14
SALT_UPCOMING = 15
SALT_CHANGES = 16
SALT_IDS = 17
SALT_TRAKT = 18


def mix(*parts: int) -> int:
    """A 64-bit hash of the integers ``parts`` (order matters)."""
    h = 0x243F6A8885A308D3
    for part in parts:  # splitmix64 of (h xor part), inlined: this is the hot path
        x = ((h ^ (part & _MASK)) + 0x9E3779B97F4A7C15) & _MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        h = x ^ (x >> 31)
    return h


def unit(*parts: int) -> float:
    """A float in [0, 1) determined by ``parts``."""
    return (mix(*parts) >> 11) * _INV53


class FastRandom(random.Random):
    """``random.Random`` with cheaper ``randint``/``choice`` (records are built per request)."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Sequence[T]) -> T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]


def rng(*parts: int) -> FastRandom:
    """A seeded random stream: same parts, same stream."""
    return FastRandom(mix(*parts))


_B64_TO_ALNUM = bytes.maketrans(b"+/", b"xQ")


def image_path(r: random.Random, ext: str = ".jpg") -> str:
    """A TMDB-style image path: ``/`` + 27 alphanumeric characters + extension."""
    raw = base64.b64encode(r.getrandbits(168).to_bytes(21, "little"))
    return "/" + raw[:27].translate(_B64_TO_ALNUM).decode() + ext


def info_hash(seed: int, tmdb_id: int, index: int) -> str:
    """A 40-character uppercase hex info-hash, unique per (seed, movie, torrent index)."""
    return (
        hashlib.sha1(f"{seed}:{tmdb_id}:{index}".encode(), usedforsecurity=False)
        .hexdigest()
        .upper()
    )
