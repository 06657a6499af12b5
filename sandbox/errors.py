"""The sandbox's exception tree."""

from __future__ import annotations

from core.errors import MiauflixError


class SandboxError(MiauflixError):
    """Base class for errors of the offline sandbox."""


class CatalogueError(SandboxError, ValueError):
    """A synthetic catalogue was asked for something impossible (bad size, unknown id)."""


class UpstreamStartError(SandboxError):
    """The fake upstream server did not start (port taken, startup timeout)."""
