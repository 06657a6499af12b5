"""Root of the Miauflix exception tree; each package subclasses it."""

from __future__ import annotations


class MiauflixError(Exception):
    """Base class for errors Miauflix raises on purpose (with a message fit for a user)."""
