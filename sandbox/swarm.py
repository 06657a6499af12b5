"""The sandbox swarm: demo videos made into torrents, seeded by a real libtorrent session on
loopback and announced through the local HTTP tracker, so streaming in the demo and in tests
is real BitTorrent.

``DemoSwarm`` bundles media + tracker + seeder; :func:`demo_torrents` gives the fake YTS the
torrent dicts and ``.torrent`` bytes for a few demo movies. A demo video with subtitles is
seeded as a folder torrent (the video, an English .srt and ``Subs/Spanish.ass``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine import lt
from sandbox.bencode import Bencodable, bencode
from sandbox.demo_media import DEMO_VIDEOS, DemoVideo, render, write_subtitles
from sandbox.lifecycle import Startable
from sandbox.tracker import Tracker

DEFAULT_PIECE_SIZE = 256 * 1024


@dataclass(frozen=True)
class SeededTorrent:
    path: Path
    torrent: bytes
    info_hash: str  # lowercase hex
    size: int
    piece_size: int
    video: DemoVideo | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def magnet(self, trackers: Sequence[str] = ()) -> str:
        from urllib.parse import quote

        tr = "".join(f"&tr={quote(url, safe='')}" for url in trackers)
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={quote(self.name)}{tr}"


def make_torrent(
    path: Path,
    *,
    trackers: Sequence[str] = (),
    piece_size: int = DEFAULT_PIECE_SIZE,
    video: DemoVideo | None = None,
) -> SeededTorrent:
    """Hash ``path`` into a v1 single-file torrent announcing to ``trackers``."""
    data = lt.create_torrent(path, piece_size=piece_size, trackers=list(trackers))
    return SeededTorrent(path, data, lt.info_hash_v1(data), path.stat().st_size, piece_size, video)


def make_directory_torrent(
    directory: Path,
    *,
    trackers: Sequence[str] = (),
    piece_size: int = DEFAULT_PIECE_SIZE,
    video: DemoVideo | None = None,
) -> SeededTorrent:
    """Hash every file under ``directory`` (in path order) into a v1 multi-file torrent
    named after it, deterministically; seeded from ``directory.parent``."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    if not files:
        raise ValueError(f"{directory} holds no file")
    pieces: list[bytes] = []
    buffer = bytearray()
    for path in files:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                buffer += block
                while len(buffer) >= piece_size:
                    pieces.append(hashlib.sha1(buffer[:piece_size]).digest())  # noqa: S324
                    del buffer[:piece_size]
    if buffer:
        pieces.append(hashlib.sha1(buffer).digest())  # noqa: S324 (BEP 3)
    info: dict[bytes | str, Bencodable] = {
        "name": directory.name,
        "piece length": piece_size,
        "pieces": b"".join(pieces),
        "files": [
            {"length": p.stat().st_size, "path": list(p.relative_to(directory).parts)}
            for p in files
        ],
    }
    meta: dict[bytes | str, Bencodable] = {"created by": "miauflix", "info": info}
    if trackers:
        meta["announce"] = trackers[0]
        meta["announce-list"] = [[url] for url in trackers]
    data = bencode(meta)
    size = sum(p.stat().st_size for p in files)
    return SeededTorrent(directory, data, lt.info_hash_v1(data), size, piece_size, video)


class Seeder(Startable):
    """A libtorrent session that seeds from the files in place (seed mode, no recheck)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        upload_rate_limit: int = 0,
        utp: bool = False,
    ) -> None:
        self.host = host
        self._wanted_port = port
        self._rate = upload_rate_limit
        self._utp = utp
        self._session: lt.Session | None = None
        self._torrents: list[SeededTorrent] = []
        self.port = 0

    def start(self) -> Seeder:
        config = lt.SessionConfig(
            listen_interfaces=f"{self.host}:{self._wanted_port or self.port}",
            utp=self._utp,
            upload_rate_limit=self._rate,
            rate_limit_local=True,  # so a limit set later applies to loopback peers too
            tick_interval_ms=100,
            stop_tracker_timeout=0,
            extra={
                "alert_mask": 0,
                "unchoke_slots_limit": -1,
                "seed_choking_algorithm": 1,
                "outgoing_interfaces": self.host,  # one address, as a real peer has
            },
        )
        self._session = lt.Session(config)
        self.port = self._session.listen_port()
        for torrent in self._torrents:
            self._add(torrent)
        return self

    def _add(self, torrent: SeededTorrent) -> None:
        assert self._session is not None
        self._session.add_torrent(
            save_path=torrent.path.parent, torrent=torrent.torrent, seed_mode=True
        )

    def seed(self, torrent: SeededTorrent) -> None:
        self._torrents.append(torrent)
        if self._session is not None:
            self._add(torrent)

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._session is not None

    def set_upload_rate_limit(self, rate: int) -> None:
        self._rate = rate
        if self._session is not None:
            self._session.apply_settings({"upload_rate_limit": rate})

    def stop(self) -> None:
        """Close the session: every connection drops (``start`` brings it back on the same port)."""
        if self._session is not None:
            self._session.close()
            self._session = None


class DemoSwarm(Startable):
    """Demo media + tracker + seeder on loopback; torrents are made once ``start`` runs."""

    def __init__(
        self,
        media_dir: Path,
        *,
        host: str = "127.0.0.1",
        tracker_port: int = 0,
        seeder_port: int = 0,
        upload_rate_limit: int = 0,
        videos: Sequence[DemoVideo] = DEMO_VIDEOS,
        piece_size: int = DEFAULT_PIECE_SIZE,
    ) -> None:
        self.media_dir = media_dir
        self.tracker = Tracker(host, tracker_port)
        self.seeder = Seeder(host=host, port=seeder_port, upload_rate_limit=upload_rate_limit)
        self._videos = tuple(videos)
        self._piece_size = piece_size
        self.torrents: list[SeededTorrent] = []

    def start(self) -> DemoSwarm:
        self.tracker.start()
        self.seeder.start()
        trackers = [self.tracker.announce_url]
        for video in self._videos:
            if video.subtitles:
                folder = self.media_dir / Path(video.name).stem
                render(video, folder)
                write_subtitles(video, folder)
                torrent = make_directory_torrent(
                    folder, trackers=trackers, piece_size=self._piece_size, video=video
                )
            else:
                path = render(video, self.media_dir)
                torrent = make_torrent(
                    path, trackers=trackers, piece_size=self._piece_size, video=video
                )
            self.torrents.append(torrent)
            self.seeder.seed(torrent)
        return self

    def stop(self) -> None:
        self.seeder.stop()
        self.tracker.stop()


def _quality(video: DemoVideo | None) -> str:
    height = video.height if video else 720
    return "2160p" if height >= 2160 else "1080p" if height >= 1080 else f"{height}p"


def demo_torrents(
    torrents: Sequence[SeededTorrent],
    imdb_ids: Sequence[str],
    *,
    url_for: Callable[[str], str] | None = None,
    uploaded_unix: int = 1_700_000_000,
) -> tuple[dict[str, list[dict[str, object]]], dict[str, bytes]]:
    """YTS-shaped torrent dicts per IMDb id, and ``.torrent`` bytes per upper-case hash.

    Torrent ``i`` goes to ``imdb_ids[i % len(imdb_ids)]`` (one movie per torrent, so source
    ids stay unique). ``url_for(HASH)`` builds the download URL the fake YTS serves the
    bytes under (default: ``http://127.0.0.1:8765/yts/torrent/download/<HASH>``).
    """
    if not imdb_ids:
        raise ValueError("demo_torrents needs at least one IMDb id")

    def default_url(upper: str) -> str:
        return f"http://127.0.0.1:8765/yts/torrent/download/{upper}"

    build_url = url_for or default_url
    extra: dict[str, list[dict[str, object]]] = {}
    files: dict[str, bytes] = {}
    for i, torrent in enumerate(torrents):
        upper = torrent.info_hash.upper()
        extra.setdefault(imdb_ids[i % len(imdb_ids)], []).append(
            {
                "url": build_url(upper),
                "hash": upper,
                "quality": _quality(torrent.video),
                "type": "web",
                "is_repack": "0",
                "video_codec": "x264",
                "bit_depth": "8",
                "audio_channels": "2.0",
                "seeds": 1,
                "peers": 0,
                "size": f"{torrent.size / 1_048_576:.2f} MB",
                "size_bytes": torrent.size,
                "date_uploaded": "2023-11-14 22:13:20",
                "date_uploaded_unix": uploaded_unix,
            }
        )
        files[upper] = torrent.torrent
    return extra, files
