"""Exception tree of the streaming engine; messages carry the source, URL or key involved."""

from __future__ import annotations

from core.errors import MiauflixError


class EngineError(MiauflixError):
    """Root of every error the engine raises on purpose."""


class BencodeError(EngineError):
    """Bytes that are not valid bencoding (a broken .torrent or tracker answer)."""


class SourceResolveError(EngineError):
    """A source could not be turned into torrent metadata."""


class InfoHashMismatch(SourceResolveError):
    """A fetched .torrent file does not carry the info-hash the catalog promised."""


class MetadataTimeout(SourceResolveError):
    """Metadata did not arrive from peers within the configured time."""


class NoPlayableFile(SourceResolveError):
    """The torrent holds no file with a playable video container."""


class RevocationUnavailable(EngineError):
    """The API's ``app.sqlite`` cannot be read, so no stream key can be checked (fail closed)."""


class StreamLimitReached(EngineError):
    """The user already streams ``MIAUFLIX_ENGINE_MAX_STREAMS_PER_USER`` distinct sources."""


class EngineBusy(EngineError):
    """``MIAUFLIX_ENGINE_MAX_STREAMS`` streams (all users together) are already running."""


class EngineFull(EngineError):
    """Every torrent slot (``MIAUFLIX_ENGINE_MAX_ACTIVE_TORRENTS``) is being watched or
    opened, so a new source cannot come in without evicting one somebody watches."""


class DiskQuotaExceeded(EngineError):
    """The disk quota is exceeded and every torrent holding data is being watched."""


class OpenAbandoned(EngineError):
    """Every request waiting for a source's metadata went away, so the opening was dropped."""


class StreamStalled(EngineError):
    """A piece did not arrive within the stall timeout while a reader waited for it."""


class ClientStalled(EngineError):
    """An HTTP client read nothing of its stream for the send timeout (it is dropped)."""


class VpnRequired(EngineError):
    """``MIAUFLIX_REQUIRE_VPN`` is on and traffic would not leave through a VPN interface."""


class EngineClosed(EngineError):
    """The engine is shutting down and accepts no more work."""


class SubtitleError(EngineError):
    """A subtitle file that cannot be served as WebVTT (not text, too large, no cue...)."""


class SubtitleNotFound(SubtitleError):
    """No subtitle track with that index in the stream's torrent."""


class SubtitleWindowError(SubtitleError):
    """An embedded track asked for without a time window, or with a malformed one."""

    def __init__(self, message: str, *, code: str = "bad_window") -> None:
        super().__init__(message)
        self.code = code
