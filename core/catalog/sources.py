"""Ranked sources of the published ``catalog.sqlite`` (read-only) and their opened secrets.

The catalog is swapped atomically by publish, so each lookup opens a fresh read-only
connection: a reader never holds on to a replaced file. The API picks a source here to
issue a stream key; the engine opens the source's secrets here to start the torrent.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from core.catalog.contract import (
    PROFILES,
    CatalogUnavailable,
    SecretUnreadable,
    SourceNotFound,
    SourceTable,
    connect_readonly,
    secret_aad,
)
from core.crypto import CryptoError

_COLUMNS = (
    "source_id, tmdb_id, quality, resolution, is_3d, source_type, video_codec, size_bytes, "
    "seeds, peers, bitrate_mbps, score_web, score_tv, rank_web, rank_tv, available, "
    "unavailable_reason, reliability_note"
)


_EPISODE_COLUMNS = (
    "es.source_id, es.show_id AS tmdb_id, ss.quality, ss.resolution, 0 AS is_3d,"
    " ss.source_type, ss.video_codec, ss.size_bytes, ss.seeds, ss.peers, NULL AS bitrate_mbps,"
    " es.score_web, es.score_tv, es.rank_web, es.rank_tv, ss.available,"
    " ss.unavailable_reason, ss.reliability_note, es.season_number, es.episode_number,"
    " ss.is_pack, es.file_hint"
)


@dataclass(frozen=True)
class Source:
    source_id: str
    tmdb_id: int
    quality: str
    resolution: int
    is_3d: bool
    source_type: str | None
    video_codec: str | None
    size_bytes: int
    seeds: int
    peers: int
    bitrate_mbps: float | None
    score_web: float | None
    score_tv: float | None
    rank_web: int | None
    rank_tv: int | None
    available: bool = True  # False: no seeders and no peer seen by the engine this week
    unavailable_reason: str | None = None  # "no seeders"
    reliability_note: str | None = None  # "stalled twice this week"

    def public(self) -> dict[str, Any]:
        """What the API may show (no secret)."""
        return asdict(self)


@dataclass(frozen=True)
class EpisodeSource(Source):
    """A show source ranked for one episode (a season pack ranks for each of its episodes)."""

    season_number: int = 0
    episode_number: int = 0
    is_pack: bool = False
    file_hint: str | None = None  # the file to play inside a pack, when publish knew it


@dataclass(frozen=True)
class SourceSecrets:
    info_hash: str  # lowercase hex
    magnet: str
    torrent_url: str | None


class Decrypter(Protocol):
    """What the catalog needs to open secrets: a ``FieldCipher`` or a ``Keyring``."""

    def decrypt_str(self, blob: bytes, aad: str) -> str: ...


class Catalog:
    """Lookups on one catalog file; decrypts with ``cipher`` (a keyring after rotations)."""

    def __init__(self, path: Path, cipher: Decrypter) -> None:
        self.path = path
        self._cipher = cipher

    def _connect(self) -> sqlite3.Connection:
        try:
            return connect_readonly(self.path)
        except CatalogUnavailable as exc:  # nothing published: no source can be found
            raise SourceNotFound(str(exc)) from None

    def source(self, source_id: str) -> Source:
        conn = self._connect()
        try:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM sources WHERE source_id = ?", (source_id,)
            ).fetchone()
        finally:
            conn.close()
        if row is None:
            raise SourceNotFound(f"source {source_id!r} is not in the catalog")
        return _source(row)

    def sources_for(self, tmdb_id: int, profile: str = "web") -> list[Source]:
        """Sources of a movie, best first for ``profile`` (unavailable ones after every
        available one: they have no rank)."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        conn = self._connect()
        try:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM sources WHERE tmdb_id = ? "
                f"ORDER BY rank_{profile} IS NULL, rank_{profile}, available DESC, "
                f"score_{profile} DESC, "
                "seeds DESC, source_id",
                (tmdb_id,),
            ).fetchall()
        finally:
            conn.close()
        return [_source(row) for row in rows]

    def pick(
        self,
        tmdb_id: int,
        *,
        profile: str = "web",
        source_id: str | None = None,
        quality: str | None = None,
    ) -> Source:
        """The named source (it must belong to the movie), else the best one for the profile:
        an available source whenever the movie has one."""
        candidates = self.sources_for(tmdb_id, profile)
        if source_id is not None:
            for source in candidates:
                if source.source_id == source_id:
                    return source
            raise SourceNotFound(f"source {source_id!r} is not a source of movie {tmdb_id}")
        if quality is not None:
            candidates = [s for s in candidates if s.quality.lower() == quality.lower()]
        if not candidates:
            wanted = f" in {quality}" if quality else ""
            raise SourceNotFound(f"movie {tmdb_id} has no source{wanted}")
        return candidates[0]

    def secrets(self, source_id: str) -> SourceSecrets:
        """The opened secrets of a movie source or a show source (episode or pack)."""
        conn = self._connect()
        try:
            table: SourceTable = "sources"
            row = conn.execute(
                "SELECT info_hash_enc, magnet_enc, torrent_url_enc FROM sources "
                "WHERE source_id = ?",
                (source_id,),
            ).fetchone()
            if row is None:
                table = "show_sources"
                row = conn.execute(
                    "SELECT info_hash_enc, magnet_enc, torrent_url_enc FROM show_sources "
                    "WHERE source_id = ?",
                    (source_id,),
                ).fetchone()
        finally:
            conn.close()
        if row is None:
            raise SourceNotFound(f"source {source_id!r} is not in the catalog")
        try:
            info_hash = self._cipher.decrypt_str(
                row["info_hash_enc"], secret_aad("info_hash", source_id, table)
            )
            magnet = self._cipher.decrypt_str(
                row["magnet_enc"], secret_aad("magnet", source_id, table)
            )
            url = (
                self._cipher.decrypt_str(
                    row["torrent_url_enc"], secret_aad("torrent_url", source_id, table)
                )
                if row["torrent_url_enc"]
                else None
            )
        except CryptoError as exc:
            raise SecretUnreadable(f"secrets of source {source_id!r}: {exc}") from exc
        return SourceSecrets(info_hash=info_hash.strip().lower(), magnet=magnet, torrent_url=url)

    # --- show sources ----------------------------------------------------------------------

    def episode_sources(
        self, show_id: int, season: int, episode: int, profile: str = "web"
    ) -> list[EpisodeSource]:
        """Sources playing one episode, best first for ``profile`` (as :meth:`sources_for`)."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        conn = self._connect()
        try:
            rows = conn.execute(
                f"SELECT {_EPISODE_COLUMNS} FROM episode_sources es"
                " JOIN show_sources ss ON ss.source_id = es.source_id"
                " WHERE es.show_id = ? AND es.season_number = ? AND es.episode_number = ?"
                f" ORDER BY es.rank_{profile} IS NULL, es.rank_{profile}, ss.available DESC,"
                f" es.score_{profile} DESC, ss.seeds DESC, es.source_id",
                (show_id, season, episode),
            ).fetchall()
        finally:
            conn.close()
        return [_episode_source(row) for row in rows]

    def pick_episode(
        self,
        show_id: int,
        season: int,
        episode: int,
        *,
        profile: str = "web",
        source_id: str | None = None,
        quality: str | None = None,
    ) -> EpisodeSource:
        """The named source (it must play that episode), else the best one for the profile."""
        candidates = self.episode_sources(show_id, season, episode, profile)
        where = f"S{season:02d}E{episode:02d} of show {show_id}"
        if source_id is not None:
            for source in candidates:
                if source.source_id == source_id:
                    return source
            raise SourceNotFound(f"source {source_id!r} does not play {where}")
        if quality is not None:
            candidates = [s for s in candidates if s.quality.lower() == quality.lower()]
        if not candidates:
            wanted = f" in {quality}" if quality else ""
            raise SourceNotFound(f"{where} has no source{wanted}")
        return candidates[0]

    def file_hint(self, source_id: str, season: int, episode: int) -> str | None:
        """The path of the episode's file inside a pack, when publish recorded it."""
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT file_hint FROM episode_sources WHERE source_id = ?"
                " AND season_number = ? AND episode_number = ? AND file_hint IS NOT NULL"
                " LIMIT 1",
                (source_id, season, episode),
            ).fetchone()
        finally:
            conn.close()
        return str(row[0]) if row is not None else None


def _source(row: sqlite3.Row) -> Source:
    return Source(
        source_id=row["source_id"],
        tmdb_id=int(row["tmdb_id"]),
        quality=row["quality"],
        resolution=int(row["resolution"]),
        is_3d=bool(row["is_3d"]),
        source_type=row["source_type"],
        video_codec=row["video_codec"],
        size_bytes=int(row["size_bytes"]),
        seeds=int(row["seeds"]),
        peers=int(row["peers"]),
        bitrate_mbps=row["bitrate_mbps"],
        score_web=row["score_web"],
        score_tv=row["score_tv"],
        rank_web=row["rank_web"],
        rank_tv=row["rank_tv"],
        available=bool(row["available"]),
        unavailable_reason=row["unavailable_reason"],
        reliability_note=row["reliability_note"],
    )


def _episode_source(row: sqlite3.Row) -> EpisodeSource:
    base = asdict(_source(row))
    return EpisodeSource(
        **base,
        season_number=int(row["season_number"]),
        episode_number=int(row["episode_number"]),
        is_pack=bool(row["is_pack"]),
        file_hint=row["file_hint"],
    )
