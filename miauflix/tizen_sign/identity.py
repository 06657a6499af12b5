"""A signer's key and certificate chain, read from the user's own PKCS#12 (``.p12``) file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from miauflix.tizen_sign.errors import P12Error

MAX_P12_BYTES = 1 << 20  # real author/distributor .p12 files are a few KB
MIN_RSA_BITS = 1024  # Tizen Studio's older author certificates are RSA-1024


@dataclass(frozen=True)
class SigningIdentity:
    """An RSA private key and its chain: the signer's certificate first, then its issuers."""

    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]


def load_p12(path: Path, password: str | bytes, *, now: datetime | None = None) -> SigningIdentity:
    """Open ``path`` with ``password``; refuse files Tizen's installer would refuse.

    The password never appears in an error message.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_P12_BYTES + 1)
    except OSError as exc:
        raise P12Error(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_P12_BYTES:
        raise P12Error(f"{path} is larger than {MAX_P12_BYTES} bytes: not a signing certificate")
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret or None)
    except (ValueError, TypeError):
        raise P12Error(f"cannot open {path}: wrong password or not a PKCS#12 file") from None
    if key is None:
        raise P12Error(f"{path} holds no private key")
    if cert is None:
        raise P12Error(f"{path} holds no certificate for its key")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise P12Error(f"{path}: the key is not RSA (Tizen signatures are RSA-SHA256)")
    if key.key_size < MIN_RSA_BITS:
        raise P12Error(f"{path}: an RSA key of {key.key_size} bits is too short")
    if cert.public_key() != key.public_key():
        raise P12Error(f"{path}: the certificate does not belong to the private key")
    moment = now or datetime.now(UTC)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise P12Error(
            f"{path}: the certificate {cert.subject.rfc4514_string()} is valid only from "
            f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}"
        )
    return SigningIdentity(key=key, chain=_chain(cert, extra))


def _chain(leaf: x509.Certificate, pool: list[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """The leaf, then each issuer found in ``pool``; self-signed roots are left out.

    The verifier holds the roots it trusts (Tizen Studio's author files carry the leaf and
    the "Tizen Developers CA" in the same way).
    """
    chain = [leaf]
    remaining = list(pool)
    current = leaf
    while current.issuer != current.subject:
        issuer = next((c for c in remaining if c.subject == current.issuer), None)
        if issuer is None or issuer.issuer == issuer.subject:
            break
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return tuple(chain)
