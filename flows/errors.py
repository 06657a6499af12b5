"""Exception tree of the ingest layer; every error names the service, URL and status.

URLs in these errors are always redacted (no ``api_key``): they are built from
:func:`flows.redact.redact_url` before an error is created.
"""

from __future__ import annotations

from core.errors import MiauflixError


class FlowsError(MiauflixError):
    """Root of the errors raised by ``flows/``."""


class UpstreamError(FlowsError):
    """An upstream request did not produce a usable answer.

    ``status`` is the HTTP status of the last attempt, 0 when no response arrived.
    """

    def __init__(self, message: str, *, service: str, url: str, status: int = 0) -> None:
        self.service = service
        self.url = url
        self.status = status
        super().__init__(f"{service}: {message} (GET {url}, status {status})")


class UpstreamUnavailable(UpstreamError):
    """Connection error, timeout, 5xx or 429 that outlived every retry."""


class UpstreamBadResponse(UpstreamError):
    """A response arrived but cannot be used: not JSON, wrong shape, too large, 4xx."""


class UpstreamAuthError(UpstreamBadResponse):
    """The upstream rejected the credentials (401/403): no point in going on."""


class AllMirrorsFailed(UpstreamUnavailable):
    """Every mirror of a service failed; ``failures`` maps mirror URL -> last error."""

    def __init__(
        self, message: str, *, service: str, url: str, status: int, failures: dict[str, str]
    ) -> None:
        self.failures = dict(failures)
        detail = "; ".join(f"{mirror}: {why}" for mirror, why in failures.items())
        super().__init__(f"{message} [{detail}]", service=service, url=url, status=status)


class LandingError(FlowsError):
    """Raw rows could not be written (bad table name, malformed record)."""
