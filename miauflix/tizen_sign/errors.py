"""The signing tool's exception tree (drawn in the package docstring)."""

from __future__ import annotations

from core.errors import MiauflixError


class TizenSignError(MiauflixError):
    """The package or the signing material cannot be signed (the message says which)."""


class P12Error(TizenSignError):
    """A PKCS#12 file cannot be used: unreadable, wrong password, no key, no certificate."""


class PackageNameError(TizenSignError):
    """A file name a widget package must not carry (absolute, ``..``, reserved, ...)."""
