"""Email addresses: one canonical form per account, and refusal of look-alikes.

:func:`canonical_email` is the lookup key (NFKC, case-folded, trimmed): ``ALICE@Example.com``
and its fullwidth spelling (U+FF41...) are the same account. :func:`checked_email` is what
an admin may create: the canonical form, refused (:class:`EmailRefused`) when it carries an
invisible or control character (zero-width space, joiners, bidi marks, soft hyphen, blanks:
Unicode categories Cc, Cf, Cn, Co, Cs, Zl, Zp, Zs) or when a part of it (the local part, or
one label of the domain) mixes letters of several scripts, e.g. a Cyrillic ``a`` (U+0430)
inside a Latin address.
:func:`look_alike_of` catches a whole-script twin of an existing account (``scope`` spelled
in Cyrillic letters) through a :func:`skeleton` of common look-alike letters.
:func:`audit_email` is what a failed sign-in may record: never raw input, which could be a
password typed into the wrong field.
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import MiauflixError

MAX_LENGTH = 320
# Characters that render as nothing or as blank, or change the rendering of neighbours.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"})
# A syntactically plain address: one @, a dotted domain ending in an alphabetic TLD.
_SHAPE = re.compile(
    r"^[^@\s]{1,64}@(?=.{1,255}$)(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$"
)
INVALID = "[not an email]"


class EmailRefused(MiauflixError):
    """The address is malformed, invisible-character-laden or a mixed-script look-alike."""


def canonical_email(raw: str) -> str:
    """The lookup form of ``raw``: NFKC, case-folded, surrounding blanks trimmed."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def _script(char: str) -> str | None:
    """The script of a letter from its Unicode name (``LATIN``, ``CYRILLIC``, ``GREEK``,
    ``CJK``, ...); ``None`` for digits, punctuation and other script-neutral characters."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if not name:
        return "UNKNOWN"
    first = name.split()[0]
    if first in {"CJK", "HIRAGANA", "KATAKANA"}:
        return "HAN-KANA"  # Japanese mixes these legitimately
    return first


def _scripts(part: str) -> set[str]:
    return {script for script in map(_script, part) if script is not None}


def checked_email(raw: str) -> str:
    """The canonical form of an address an account may have; :class:`EmailRefused` if not."""
    if len(raw) > MAX_LENGTH:
        raise EmailRefused(f"email must be at most {MAX_LENGTH} characters")
    for char in raw.strip():
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            raise EmailRefused(
                f"email contains an invisible or control character (U+{ord(char):04X})"
            )
    email = canonical_email(raw)
    if not _SHAPE.match(email):
        raise EmailRefused("email must look like name@example.org")
    local, domain = email.split("@")
    for part in (local, *domain.split(".")):
        scripts = _scripts(part)
        if len(scripts) > 1:
            raise EmailRefused(
                f"email mixes {' and '.join(sorted(scripts)).lower()} letters in {part!r}"
                " (a look-alike of another address)"
            )
    return email


# Letters of other scripts that render like a Latin letter (after casefold): enough to
# catch a whole-script look-alike of an existing address (Unicode's confusables.txt is the
# full list; a household's handful of accounts needs the common ones).
_LATIN_LOOKALIKES = str.maketrans(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501"
    "\u04cf\u0261\u03b1\u03bf\u03c1\u03bd\u03b9\u03ba\u03c5\u03c7\u0131",
    "aeopcyxijshdlgaopvikuxi",
)


def skeleton(email: str) -> str:
    """``email`` (canonical) with look-alike letters of other scripts mapped to Latin: two
    addresses with the same skeleton are visually confusable."""
    return unicodedata.normalize("NFKD", email).translate(_LATIN_LOOKALIKES)


def look_alike_of(email: str, existing: list[str]) -> str | None:
    """The first of ``existing`` that ``email`` (canonical) could be mistaken for."""
    mine = skeleton(email)
    for other in existing:
        if other != email and skeleton(other) == mine:
            return other
    return None


def audit_email(raw: str) -> str:
    """What an audit event may keep of a typed email: its canonical form when it is a
    well-formed address, else :data:`INVALID` (it might be a password)."""
    try:
        return checked_email(raw)
    except EmailRefused:
        return INVALID
