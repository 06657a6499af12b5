"""A test PKI made in the test: a root CA, an intermediate, author and distributor .p12 files,
and ``xmlsec1`` (Debian's package) as the independent verifier."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def certificate(
    subject: str,
    key: PrivateKey,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKey | None = None,
    ca: bool = False,
    not_before: dt.datetime = NOW - dt.timedelta(days=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def write_p12(
    path: Path,
    key: PrivateKey | None,
    cert: x509.Certificate | None,
    extra: list[x509.Certificate] | None = None,
    password: bytes = b"correct horse",
) -> Path:
    encryption = serialization.BestAvailableEncryption(password)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"signer", key, cert, extra, encryption))
    return path


@dataclass
class Pki:
    """Root CA → intermediate → author; root CA → distributor; all as files under ``root``."""

    ca_pem: Path
    author_p12: Path
    distributor_p12: Path
    password: str
    author_cert: x509.Certificate
    intermediate_cert: x509.Certificate
    distributor_cert: x509.Certificate


def make_pki(directory: Path, password: str = "correct horse") -> Pki:  # noqa: S107
    root_key, inter_key, author_key, dist_key = rsa_key(), rsa_key(), rsa_key(), rsa_key()
    root = certificate("Miauflix Test Root", root_key, ca=True)
    inter = certificate("Test Author CA", inter_key, issuer=root, issuer_key=root_key, ca=True)
    author = certificate("Test Author", author_key, issuer=inter, issuer_key=inter_key)
    dist = certificate("Test Distributor", dist_key, issuer=root, issuer_key=root_key)
    ca_pem = directory / "ca.pem"
    ca_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    secret = password.encode()
    return Pki(
        ca_pem=ca_pem,
        author_p12=write_p12(directory / "author.p12", author_key, author, [root, inter], secret),
        distributor_p12=write_p12(directory / "distributor.p12", dist_key, dist, [root], secret),
        password=password,
        author_cert=author,
        intermediate_cert=inter,
        distributor_cert=dist,
    )


def xmlsec1_verify(
    package_dir: Path, signature: str, trusted_pem: Path
) -> subprocess.CompletedProcess[str]:
    """Verify ``signature`` the way an independent verifier does, from the unpacked package.

    Relative ``Reference/@URI`` values are what xmlsec calls "remote" URIs; they are
    resolved against the working directory (the unpacked package). ``#prop`` is same-doc.
    """
    tool = shutil.which("xmlsec1")
    assert tool, "xmlsec1 is not installed (scripts/setup.sh installs Debian's xmlsec1)"
    return subprocess.run(
        [
            tool,
            "--verify",
            "--trusted-pem",
            str(trusted_pem),
            "--enabled-reference-uris",
            "same-doc,remote",
            signature,
        ],
        cwd=package_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )


def unpack(wgt: Path | bytes, target: Path) -> Path:
    """Unpack a package (a path or zip bytes) into ``target``."""
    source = wgt if isinstance(wgt, Path) else io.BytesIO(wgt)
    with zipfile.ZipFile(source) as archive:
        archive.extractall(target)
    return target


def write_tree(files: dict[str, bytes], target: Path) -> Path:
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return target
