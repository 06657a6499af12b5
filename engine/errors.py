"""Exception tree of the streaming engine; messages carry the source, URL or key involved."""

from __future__ import annotations

from core.errors import MiauflixError


class EngineError(MiauflixError):
    """Root of every error the engine raises on purpose."""


class BencodeError(EngineError):
    """Bytes that are not valid bencoding (a broken .torrent or tracker answer)."""


class SourceNotFound(EngineError):
    """The catalog has no such source (or no source for the movie and profile)."""


class SourceResolveError(EngineError):
    """A source could not be turned into torrent metadata."""


class InfoHashMismatch(SourceResolveError):
    """A fetched .torrent file does not carry the info-hash the catalog promised."""


class MetadataTimeout(SourceResolveError):
    """Metadata did not arrive from peers within the configured time."""


class NoPlayableFile(SourceResolveError):
    """The torrent holds no file with a playable video container."""


class StreamKeyError(EngineError):
    """A stream key that must be refused; ``status`` is the HTTP status to answer."""

    status = 401
    code = "invalid_stream_key"


class StreamKeyExpired(StreamKeyError):
    code = "stream_key_expired"


class ForeignStreamKey(StreamKeyError):
    """Signed by another installation, or bound to another user or source."""

    status = 403
    code = "foreign_stream_key"


class StreamKeyRevoked(StreamKeyError):
    """Issued at or before the user's ``streams_revoked_at`` (logout, password change...)."""

    code = "stream_key_revoked"


class StreamUserDisabled(StreamKeyError):
    """The key's user is disabled in the API's database."""

    status = 403
    code = "user_disabled"


class StreamUserUnknown(StreamKeyError):
    """The key's user is not (or no longer) in the API's database."""

    status = 403
    code = "user_unknown"


class RevocationUnavailable(EngineError):
    """The API's ``app.sqlite`` cannot be read, so no stream key can be checked (fail closed)."""


class StreamLimitReached(EngineError):
    """The user already holds the maximum number of concurrent streams."""


class StreamStalled(EngineError):
    """A piece did not arrive within the stall timeout while a reader waited for it."""


class VpnRequired(EngineError):
    """``MIAUFLIX_REQUIRE_VPN`` is on and traffic would not leave through a VPN interface."""


class EngineClosed(EngineError):
    """The engine is shutting down and accepts no more work."""
