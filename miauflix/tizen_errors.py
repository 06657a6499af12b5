"""The TV package build's error (the signing tool has its own tree in ``tizen_sign``)."""

from __future__ import annotations

from core.errors import MiauflixError


class TizenBuildError(MiauflixError):
    """The TV package could not be built (the message says which step and file)."""
