"""Password hashing with argon2id (argon2-cffi); old scrypt hashes still verify.

Stored form: the PHC string ``$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>``
at :data:`ARGON2_MEMORY_KIB` / :data:`ARGON2_TIME` / :data:`ARGON2_PARALLELISM` (above
OWASP's floor of m=19 MiB, t=2, p=1: RFC 9106's memory-constrained choice, 64 MiB and
3 passes). Hashes from before argon2id, ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``, still
verify; :func:`needs_rehash` tells the sign-in to store a fresh argon2id hash of the
password it just checked. Verification always runs the KDF, also for unknown users
(:func:`burn_verify`), so response time does not reveal whether an email is registered;
stored parameters beyond sane bounds are refused, so a tampered row cannot burn the
CPU or memory.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_TIME = 3
ARGON2_PARALLELISM = 1
_ARGON2_PREFIX = "$argon2id$"
# Refuse stored parameters that would let a tampered row burn the CPU / memory.
_MAX_ARGON2_MEMORY_KIB = 1024 * 1024
_MAX_ARGON2_TIME = 16
_MAX_ARGON2_PARALLELISM = 8

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)

# Legacy scrypt (verified, never written except on request: cheap hashes in tests).
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_DKLEN = 32
_SALT_LEN = 16
_MAXMEM = 256 * 1024 * 1024
_MAX_N = 2**20


def _phc_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


# Unknown users are verified against this: right format and cost, matches no password
# (random salt and digest: no KDF run at import).
_DUMMY_HASH = (
    f"{_ARGON2_PREFIX}v=19$m={ARGON2_MEMORY_KIB},t={ARGON2_TIME},p={ARGON2_PARALLELISM}"
    f"${_phc_b64(os.urandom(16))}${_phc_b64(os.urandom(32))}"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _encode(password: str) -> bytes:
    return password.encode("utf-8", "surrogatepass")


def _kdf(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(_encode(password), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=_DKLEN)


def scrypt_hash(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A legacy scrypt hash (what Miauflix stored before argon2id)."""
    salt = os.urandom(_SALT_LEN)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_kdf(password, salt, n, r, p))}"


def hash_password(password: str, **scrypt_params: int) -> str:
    """Hash ``password`` with argon2id and a fresh random salt. With scrypt parameters
    (``n``, ``r``, ``p``) a legacy :func:`scrypt_hash` instead (cheap hashes in tests)."""
    if scrypt_params:
        return scrypt_hash(password, **scrypt_params)
    return _HASHER.hash(_encode(password))


def _argon2_sane(stored: str) -> bool:
    try:
        params = extract_parameters(stored)
    except (InvalidHashError, ValueError):
        return False
    return (
        params.type is Type.ID
        and 8 <= params.memory_cost <= _MAX_ARGON2_MEMORY_KIB
        and 1 <= params.time_cost <= _MAX_ARGON2_TIME
        and 1 <= params.parallelism <= _MAX_ARGON2_PARALLELISM
    )


def _verify_argon2(password: str, stored: str) -> bool:
    if not _argon2_sane(stored):
        burn_verify(password)
        return False
    try:
        return bool(_HASHER.verify(stored, _encode(password)))
    except (VerificationError, InvalidHashError, ValueError):
        return False


def _verify_scrypt(password: str, stored: str) -> bool:
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


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a stored argon2id or scrypt hash; False on any
    malformation (the KDF still runs)."""
    if stored.startswith(_ARGON2_PREFIX):
        return _verify_argon2(password, stored)
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    burn_verify(password)
    return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` (which just verified) should be replaced by a fresh hash: any
    scrypt hash, or argon2id below the current parameters."""
    if not stored.startswith(_ARGON2_PREFIX):
        return True
    try:
        return bool(_HASHER.check_needs_rehash(stored))
    except (InvalidHashError, ValueError):
        return True


def burn_verify(password: str) -> None:
    """Spend the same work as a real verification (for unknown users)."""
    with contextlib.suppress(VerificationError):
        _HASHER.verify(_DUMMY_HASH, _encode(password))


def generate_password() -> str:
    """A random password for the first admin (printed once, never logged)."""
    return secrets.token_urlsafe(18)


# --- policy --------------------------------------------------------------------------------
MIN_LENGTH = 10
MAX_LENGTH = 1024
# The most common leaked passwords (lowercased), plus a few service-specific ones.
_COMMON = """
    123456 123456789 12345678 password qwerty123 qwerty1 111111 12345 col123456 123123
    1234567 1234 1234567890 000000 555555 666666 123321 654321 7777777 123 d1lakiss
    777777 110110jp 1111 987654321 121212 gizli abc123 112233 azerty 159753 1q2w3e4r
    54321 pass@123 222222 qwertyuiop qwerty 123654 iloveyou a1b2c3 999999 groupd2013
    1q2w3e 21212 1q2w3e4r5t asdfghjkl 1qaz2wsx password1 password123 password1234
    qwerty12345 letmein letmein123 welcome welcome1 welcome123 monkey dragon football
    baseball sunshine princess admin admin123 administrator passw0rd p@ssw0rd p@ssword
    trustno1 master shadow superman batman starwars whatever freedom michael charlie
    jennifer hunter2 zaq12wsx 1qazxsw2 qazwsx qwe123 asdf1234 zxcvbnm 11111111
    00000000 88888888 12341234 1234512345 0123456789 abcd1234 abcdefgh aaaaaaaa
    changeme changeme123 default secret secret123 miauflix miauflix123 netflix
    netflix123 movies123 letmein1234 iloveyou123 qwertyuiop123 1234qwer q1w2e3r4
    q1w2e3r4t5 asdfasdf computer internet samsung google mustang access killer
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())


class WeakPassword(ValueError):
    """The password breaks the policy; the message says how."""


def check_password_policy(password: str, min_length: int = MIN_LENGTH, email: str = "") -> None:
    """Raise :class:`WeakPassword` unless ``password`` is long, uncommon and not the email."""
    if len(password) < min_length:
        raise WeakPassword(f"password must be at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise WeakPassword("password is too common or too simple")
    local = email.split("@", 1)[0].lower()
    if email and (lowered == email.lower() or (len(local) >= 4 and lowered == local)):
        raise WeakPassword("password must not be the email address")
