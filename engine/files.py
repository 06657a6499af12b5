"""Which file of a torrent is the film, what type it is, and where its bytes sit in pieces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from core.episodes import episodes_in
from engine.errors import NoPlayableFile
from engine.lt import FileEntry, TorrentMeta

CONTENT_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".mov": "video/quicktime",
}


def content_type(path: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(path).suffix.lower(), "application/octet-stream")


def is_playable(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in CONTENT_TYPES


def pick_main_file(meta: TorrentMeta) -> FileEntry:
    """The largest playable file (ties: the first); raises :class:`NoPlayableFile`."""
    playable = _playable(meta)
    if not playable:
        names = ", ".join(f.path for f in meta.files[:5]) or "no files"
        raise NoPlayableFile(f"torrent {meta.name!r} has no playable video ({names})")
    return max(playable, key=lambda f: (f.size, -f.index))


class EpisodeNotInTorrent(NoPlayableFile):
    """The torrent (a season pack) holds no file for the episode the stream key names."""


def _playable(meta: TorrentMeta) -> list[FileEntry]:
    return [f for f in meta.files if is_playable(f.path) and f.size > 0]


def pick_episode_file(
    meta: TorrentMeta, season: int, episode: int, hint: str | None = None
) -> FileEntry:
    """The file playing ``SxxEyy``: the catalog's ``hint`` (path inside the torrent, with or
    without its top folder) when it names a playable file, else the playable file whose path
    holds that episode (fewest episodes, then largest: not the sample, not a double episode),
    else the only playable file of a single-episode torrent. Raises
    :class:`EpisodeNotInTorrent` when a pack has no such episode."""
    playable = _playable(meta)
    if hint:
        hint = hint.strip("/")
        for entry in playable:
            if entry.path == hint or entry.path.endswith("/" + hint):
                return entry
    matches = [(len(found), -f.size, f.index, f) for f in playable
               if (season, episode) in (found := episodes_in(f.path))]  # fmt: skip
    if matches:
        return min(matches, key=lambda m: m[:3])[3]
    if len(playable) == 1:
        return playable[0]
    names = ", ".join(f.path for f in playable[:5]) or "no playable files"
    raise EpisodeNotInTorrent(
        f"torrent {meta.name!r} has no file for S{season:02d}E{episode:02d} ({names})"
    )


def file_priorities(meta: TorrentMeta, main: FileEntry) -> list[int]:
    """Priority 1 for the film, 0 for everything else (pad files included)."""
    count = max((f.index for f in meta.files), default=-1) + 1
    return [1 if i == main.index else 0 for i in range(count)]


@dataclass(frozen=True)
class FileSpan:
    """Byte-to-piece arithmetic for one file inside a torrent."""

    offset: int  # of the file's first byte in the torrent
    size: int
    piece_length: int
    num_pieces: int  # of the whole torrent

    @classmethod
    def of(cls, meta: TorrentMeta, entry: FileEntry) -> FileSpan:
        return cls(entry.offset, entry.size, meta.piece_length, meta.num_pieces)

    def piece_at(self, pos: int) -> int:
        """Piece holding byte ``pos`` of the file (0 <= pos < size)."""
        return (self.offset + pos) // self.piece_length

    @property
    def first_piece(self) -> int:
        return self.piece_at(0)

    @property
    def last_piece(self) -> int:
        return self.piece_at(max(self.size - 1, 0))

    def piece_end(self, piece: int) -> int:
        """File position just past the bytes of ``piece`` (clipped to the file)."""
        return min((piece + 1) * self.piece_length - self.offset, self.size)

    def pieces_for(self, start: int, length: int) -> range:
        """Pieces covering ``length`` bytes from file position ``start`` (clipped)."""
        if length <= 0 or start >= self.size:
            return range(0)
        end = min(start + length, self.size) - 1
        return range(self.piece_at(max(start, 0)), self.piece_at(end) + 1)
