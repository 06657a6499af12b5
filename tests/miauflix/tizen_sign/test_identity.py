"""load_p12 opens the user's own .p12 files and refuses the ones a TV would refuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from miauflix.tizen_sign import P12Error, identity, load_p12
from miauflix.tizen_sign.identity import MAX_P12_BYTES
from tests.miauflix.tizen_sign.pki import NOW, certificate, make_pki, rsa_key, write_p12

PASSWORD = "correct horse"


def test_the_chain_runs_from_the_signer_to_the_last_intermediate(tmp_path: Path) -> None:
    pki = make_pki(tmp_path, PASSWORD)
    identity = load_p12(pki.author_p12, PASSWORD)
    assert identity.chain == (pki.author_cert, pki.intermediate_cert)
    assert identity.certificate == pki.author_cert
    assert load_p12(pki.distributor_p12, PASSWORD.encode()).chain == (pki.distributor_cert,)


def test_a_wrong_password_is_refused_without_echoing_it(tmp_path: Path) -> None:
    pki = make_pki(tmp_path, PASSWORD)
    wrong = "hunter2-wrong-password"
    with pytest.raises(P12Error, match="wrong password") as caught:
        load_p12(pki.author_p12, wrong)
    assert wrong not in str(caught.value) and PASSWORD not in str(caught.value)


def test_an_empty_password_on_a_protected_file_is_refused(tmp_path: Path) -> None:
    pki = make_pki(tmp_path, PASSWORD)
    with pytest.raises(P12Error, match="wrong password"):
        load_p12(pki.author_p12, "")


def test_a_p12_without_a_key_is_refused(tmp_path: Path) -> None:
    key = rsa_key()
    cert = certificate("No Key", key)
    path = write_p12(tmp_path / "certs-only.p12", None, None, [cert], PASSWORD.encode())
    with pytest.raises(P12Error, match="no private key"):
        load_p12(path, PASSWORD)


def test_a_key_without_its_certificate_is_refused(tmp_path: Path) -> None:
    stranger = certificate("Someone Else", rsa_key())
    path = write_p12(tmp_path / "orphan.p12", rsa_key(), None, [stranger], PASSWORD.encode())
    with pytest.raises(P12Error, match="no certificate"):
        load_p12(path, PASSWORD)


def test_a_non_rsa_key_is_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = write_p12(tmp_path / "ec.p12", key, certificate("EC", key), None, PASSWORD.encode())
    with pytest.raises(P12Error, match="not RSA"):
        load_p12(path, PASSWORD)


def test_a_key_below_the_floor_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = rsa_key(bits=1024)
    path = write_p12(tmp_path / "short.p12", key, certificate("Short", key), None, b"pw")
    assert load_p12(path, "pw").key.key_size == 1024  # the floor itself is accepted
    monkeypatch.setattr(identity, "MIN_RSA_BITS", 2048)
    with pytest.raises(P12Error, match="1024 bits is too short"):
        load_p12(path, "pw")


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [
        (NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1)),  # expired
        (NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30)),  # not yet valid
    ],
)
def test_a_certificate_outside_its_validity_is_refused(
    tmp_path: Path, not_before: dt.datetime, not_after: dt.datetime
) -> None:
    key = rsa_key()
    cert = certificate("Dated", key, not_before=not_before, not_after=not_after)
    path = write_p12(tmp_path / "dated.p12", key, cert, None, PASSWORD.encode())
    with pytest.raises(P12Error, match="valid only from"):
        load_p12(path, PASSWORD)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pkcs12 file", b"0\x82\xff\xff" + b"\x00" * 64, bytes(range(256)) * 4],
)
def test_garbage_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.p12"
    path.write_bytes(content)
    with pytest.raises(P12Error, match="not a PKCS#12 file"):
        load_p12(path, PASSWORD)


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.p12"
    path.write_bytes(b"\x00" * (MAX_P12_BYTES + 1))
    with pytest.raises(P12Error, match="larger than"):
        load_p12(path, PASSWORD)


def test_a_missing_file_or_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(P12Error, match="cannot read"):
        load_p12(tmp_path / "absent.p12", PASSWORD)
    with pytest.raises(P12Error, match="cannot read"):
        load_p12(tmp_path, PASSWORD)


def test_a_p12_in_the_legacy_3des_encryption_of_older_tools_opens(tmp_path: Path) -> None:
    key = rsa_key()
    cert = certificate("Legacy Tools", key)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())  # noqa: S303 - the legacy format under test
        .build(b"old tools")
    )
    path = tmp_path / "legacy.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"a", key, cert, None, encryption))
    assert load_p12(path, "old tools").certificate == cert
