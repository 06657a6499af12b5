"""Which names a widget package may carry, and how a signature refers to them."""

from __future__ import annotations

import re
from urllib.parse import quote

from miauflix.tizen_sign.errors import PackageNameError

AUTHOR_SIGNATURE = "author-signature.xml"
DISTRIBUTOR_SIGNATURE = "signature1.xml"
_DISTRIBUTOR_PATTERN = re.compile(r"signature[1-9][0-9]*\.xml")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
MAX_NAME_BYTES = 1024


def is_signature_name(name: str) -> bool:
    """True for the signature files at the package root (never signed as content)."""
    return name == AUTHOR_SIGNATURE or _DISTRIBUTOR_PATTERN.fullmatch(name) is not None


def check_content_name(name: str) -> str:
    """Return ``name`` if a package may carry it as content; raise :class:`PackageNameError`.

    Names are zip member names: ``/``-separated, relative, no ``.``/``..`` or empty parts,
    no control characters or backslashes, and not a signature file's name.
    """
    shown = name.encode("unicode_escape").decode("ascii")[:200]
    if not name or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise PackageNameError(f"package file name {shown!r} is empty or too long")
    if _FORBIDDEN_CHARS.search(name) or any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise PackageNameError(f"package file name {shown!r} has a forbidden character")
    if name.startswith("/") or any(part in {"", ".", ".."} for part in name.split("/")):
        raise PackageNameError(f"package file name {shown!r} is not a plain relative path")
    if is_signature_name(name):
        raise PackageNameError(f"package file name {shown!r} is reserved for a signature")
    return name


def reference_uri(name: str) -> str:
    """The ``Reference/@URI`` for a package file: percent-encoded UTF-8, ``/`` as ``%2F``.

    This is how Tizen Studio writes them (``js%2Fmain.js``); the installer decodes the URI
    and looks the name up in the package.
    """
    return quote(name, safe="")
