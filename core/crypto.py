"""Field encryption for secrets at rest and keyed lookup hashes.

* ``FieldCipher.encrypt(value, aad)``: AES-256-GCM with a fresh random 96-bit nonce per
  value; the associated data binds the ciphertext to its row and column (e.g.
  ``b"sources.magnet:<source_id>"``), so a ciphertext moved to another row fails to open.
  Stored form: ``b"v1" + key_id(4) + nonce(12) + ciphertext+tag``.
* ``FieldCipher.lookup_hash(value)``: HMAC-SHA256 under a separate derived key, for
  equality lookups (e.g. find a source by its info-hash) without deterministic encryption.

Key rotation (``miauflix keys rotate``) keeps retired masters in ``<data_dir>/secret.keys.d/``
(one ``<key id hex>.key`` file each, 0600). :class:`Keyring` encrypts under the current
master and opens values sealed under any kept master, choosing by the 4-byte key id stored
in the ciphertext; meeting an unknown key id it re-reads the key files once, so a reader
started before a rotation keeps working while everything is re-encrypted.

The master secret comes from ``MIAUFLIX_SECRET_KEY`` or is generated on first run into
``<data_dir>/secret.key`` with 0600 permissions. Sub-keys are derived with HKDF so that
the JWT signing key, the encryption key and the HMAC key are independent.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import MiauflixError

_VERSION = b"v1"
_NONCE_LEN = 12


class CryptoError(MiauflixError):
    """A value could not be decrypted (wrong key, tampered, or moved to another row)."""


def derive_key(master: bytes, purpose: str, length: int = 32) -> bytes:
    """Derive an independent sub-key for ``purpose`` from the master secret (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=b"miauflix", info=purpose.encode()
    ).derive(master)


def load_or_create_master_key(key_path: Path, configured: str = "") -> bytes:
    """Return the master secret: the configured one, else the key file (created 0600)."""
    if configured:
        return configured.encode()
    if key_path.exists():
        mode = key_path.stat().st_mode & 0o777
        if mode & 0o077:
            raise CryptoError(f"{key_path} is readable by others (mode {mode:o}); chmod 600 it")
        data = key_path.read_bytes().strip()
        if len(data) < 32:
            raise CryptoError(f"{key_path} holds a key shorter than 32 bytes")
        return data
    key_path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(48).encode()
    # Write a private temp file completely, then link it into place: a concurrent starter
    # either wins the link or reads the winner's complete key, never an empty file.
    fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=key_path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(token)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, key_path)
    except FileExistsError:
        return key_path.read_bytes().strip()
    finally:
        os.unlink(tmp)
    return token


class FieldCipher:
    """AES-GCM field encryption plus HMAC lookup hashes under keys derived from a master."""

    def __init__(self, master: bytes) -> None:
        self._enc_key = derive_key(master, "field-encryption")
        self._mac_key = derive_key(master, "lookup-hmac")
        self.key_id = hashlib.sha256(self._enc_key).digest()[:4]
        self._aead = AESGCM(self._enc_key)

    def encrypt(self, plaintext: str | bytes, aad: str) -> bytes:
        """Encrypt with a fresh nonce; ``aad`` names the row and column the value belongs to."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(_NONCE_LEN)
        return _VERSION + self.key_id + nonce + self._aead.encrypt(nonce, data, aad.encode())

    def decrypt(self, blob: bytes, aad: str) -> bytes:
        """Open a value sealed by :meth:`encrypt` with the same ``aad``."""
        if len(blob) < 2 + 4 + _NONCE_LEN + 16 or blob[:2] != _VERSION:
            raise CryptoError("not a miauflix v1 ciphertext")
        if blob[2:6] != self.key_id:
            raise CryptoError("ciphertext was sealed under a different key")
        nonce = blob[6 : 6 + _NONCE_LEN]
        try:
            return self._aead.decrypt(nonce, blob[6 + _NONCE_LEN :], aad.encode())
        except InvalidTag as exc:
            raise CryptoError(f"ciphertext failed authentication (aad={aad!r})") from exc

    def decrypt_str(self, blob: bytes, aad: str) -> str:
        return self.decrypt(blob, aad).decode()

    def lookup_hash(self, value: str) -> str:
        """Keyed hash (hex) for equality lookups; normalise ``value`` before calling."""
        return hmac.digest(self._mac_key, value.encode(), "sha256").hex()


KEYRING_DIR = "secret.keys.d"
_RELOAD_INTERVAL = 1.0


def keyring_dir(key_path: Path) -> Path:
    """Where retired (and freshly rotated-in) masters are kept."""
    return Path(key_path).with_name(KEYRING_DIR)


def _read_private(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise CryptoError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    data = path.read_bytes().strip()
    if len(data) < 32:
        raise CryptoError(f"{path} holds a key shorter than 32 bytes")
    return data


class Keyring:
    """The current master plus retired ones; a drop-in for :class:`FieldCipher`.

    ``encrypt`` and ``lookup_hash`` use the current master; ``decrypt`` picks the master by
    the ciphertext's key id.
    """

    def __init__(
        self, masters: Sequence[bytes], key_path: Path | None = None, configured: str = ""
    ) -> None:
        if not masters:
            raise CryptoError("a keyring needs at least one master key")
        self._key_path = Path(key_path) if key_path is not None else None
        self._configured = configured
        self._lock = threading.Lock()
        self._checked = 0.0  # monotonic time of the last reload
        self._install(masters)

    def _install(self, masters: Sequence[bytes]) -> None:
        unique = list(dict.fromkeys(masters))
        self.masters: tuple[bytes, ...] = tuple(unique)
        self._ciphers = {cipher.key_id: cipher for cipher in map(FieldCipher, reversed(unique))}
        self.current = FieldCipher(unique[0])

    @classmethod
    def load(cls, key_path: Path, configured: str = "") -> Keyring:
        """Current master (configured or ``key_path``) plus every kept one, newest first."""
        return cls(cls._read_masters(Path(key_path), configured), key_path, configured)

    @staticmethod
    def _read_masters(key_path: Path, configured: str) -> list[bytes]:
        masters = [load_or_create_master_key(key_path, configured)]
        folder = keyring_dir(key_path)
        if folder.is_dir():
            files = sorted(folder.glob("*.key"), key=lambda p: p.stat().st_mtime, reverse=True)
            masters.extend(_read_private(path) for path in files)
        return masters

    def reload(self) -> bool:
        """Re-read the key files (after a rotation); True when the key set changed."""
        if self._key_path is None:
            return False
        with self._lock:
            masters = self._read_masters(self._key_path, self._configured)
            changed = tuple(dict.fromkeys(masters)) != self.masters
            if changed:
                self._install(masters)
            self._checked = time.monotonic()
            return changed

    @property
    def key_id(self) -> bytes:
        return self.current.key_id

    def key_ids(self) -> list[bytes]:
        return [FieldCipher(master).key_id for master in self.masters]

    def encrypt(self, plaintext: str | bytes, aad: str) -> bytes:
        return self.current.encrypt(plaintext, aad)

    def decrypt(self, blob: bytes, aad: str) -> bytes:
        """Open ``blob`` with whichever kept master sealed it."""
        if len(blob) < 6 or blob[:2] != _VERSION:
            raise CryptoError("not a miauflix v1 ciphertext")
        cipher = self._ciphers.get(bytes(blob[2:6]))
        stale = time.monotonic() - self._checked >= _RELOAD_INTERVAL
        if cipher is None and stale and self.reload():
            cipher = self._ciphers.get(bytes(blob[2:6]))
        if cipher is None:
            raise CryptoError(f"ciphertext was sealed under unknown key {bytes(blob[2:6]).hex()}")
        return cipher.decrypt(blob, aad)

    def decrypt_str(self, blob: bytes, aad: str) -> str:
        return self.decrypt(blob, aad).decode()

    def lookup_hash(self, value: str) -> str:
        return self.current.lookup_hash(value)
