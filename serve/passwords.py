"""Password hashing with scrypt (stdlib), parameters and salt stored with the hash.

Stored form: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``. Verification always runs the
KDF, also for unknown users (:func:`burn_verify`), so response time does not reveal
whether an email is registered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_DKLEN = 32
_SALT_LEN = 16
_MAXMEM = 256 * 1024 * 1024
# Refuse stored parameters that would let a tampered row burn the CPU / memory.
_MAX_N = 2**20

# Unknown users are verified against this: right format and cost, matches no password.
_DUMMY_HASH = (
    f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$"
    f"{base64.b64encode(os.urandom(16)).decode()}${base64.b64encode(os.urandom(32)).decode()}"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kdf(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_MAXMEM,
        dklen=_DKLEN,
    )


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Hash ``password`` with a fresh random salt."""
    salt = os.urandom(_SALT_LEN)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_kdf(password, salt, n, r, p))}"


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a stored hash in constant time; False on any malformation."""
    try:
        scheme, n_s, r_s, p_s, salt_s, hash_s = stored.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt = base64.b64decode(salt_s, validate=True)
        expected = base64.b64decode(hash_s, validate=True)
    except ValueError:
        burn_verify(password)
        return False
    if scheme != "scrypt" or not (2 <= n <= _MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
        burn_verify(password)
        return False
    try:
        actual = _kdf(password, salt, n, r, p)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def burn_verify(password: str) -> None:
    """Spend the same work as a real verification (for unknown users)."""
    verify_password(password, _DUMMY_HASH)


def generate_password() -> str:
    """A random password for the first admin (printed once, never logged)."""
    return secrets.token_urlsafe(18)
