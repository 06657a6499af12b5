"""Signatures made by miauflix.tizen_sign verify with xmlsec1, and break when anything changes."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from miauflix.tizen_sign import (
    AUTHOR_SIGNATURE,
    DISTRIBUTOR_SIGNATURE,
    PackageNameError,
    Role,
    SigningIdentity,
    TizenSignError,
    build_signature,
    load_p12,
    sign_package,
)
from tests.miauflix.tizen_sign.pki import Pki, make_pki, write_tree, xmlsec1_verify

DS = {
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "dsp": "http://www.w3.org/2009/xmldsig-properties",
}
CONTENT = {
    "config.xml": b'<?xml version="1.0"?><widget xmlns="http://www.w3.org/ns/widgets"/>',
    "index.html": b"<!doctype html><title>x</title>",
    "js/app.js": b"console.log(1)",
    "my file \u00e9\u00e8 \u732b.txt": "caf\u00e9 \u732b".encode(),
    "deep/er dir/100% & <more>#?.css": b"body{}",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def identities(pki: Pki) -> tuple[SigningIdentity, SigningIdentity]:
    return load_p12(pki.author_p12, pki.password), load_p12(pki.distributor_p12, pki.password)


@pytest.fixture
def signed_dir(tmp_path: Path, identities: tuple[SigningIdentity, SigningIdentity]) -> Path:
    author, distributor = identities
    signatures = sign_package(CONTENT, author, distributor)
    return write_tree({**CONTENT, **signatures}, tmp_path / "pkg")


def _verified(package: Path, pki: Pki, name: str) -> bool:
    result = xmlsec1_verify(package, name, pki.ca_pem)
    return result.returncode == 0 and "OK" in result.stdout + result.stderr


def test_both_signatures_verify_with_xmlsec1(signed_dir: Path, pki: Pki) -> None:
    assert _verified(signed_dir, pki, AUTHOR_SIGNATURE)
    assert _verified(signed_dir, pki, DISTRIBUTOR_SIGNATURE)


def test_each_file_is_referenced_once_and_the_distributor_covers_the_author(
    signed_dir: Path,
) -> None:
    author = etree.parse(str(signed_dir / AUTHOR_SIGNATURE))
    distributor = etree.parse(str(signed_dir / DISTRIBUTOR_SIGNATURE))
    author_uris = author.xpath("//ds:SignedInfo/ds:Reference/@URI", namespaces=DS)
    dist_uris = distributor.xpath("//ds:SignedInfo/ds:Reference/@URI", namespaces=DS)
    encoded = [
        "config.xml",
        "index.html",
        "js%2Fapp.js",
        "my%20file%20%C3%A9%C3%A8%20%E7%8C%AB.txt",
        "deep%2Fer%20dir%2F100%25%20%26%20%3Cmore%3E%23%3F.css",
    ]
    assert sorted(author_uris) == sorted([*encoded, "#prop"])
    assert sorted(dist_uris) == sorted([*encoded, AUTHOR_SIGNATURE, "#prop"])
    assert DISTRIBUTOR_SIGNATURE not in author_uris + dist_uris


@pytest.mark.parametrize(
    ("name", "signature_id", "role"),
    [
        (AUTHOR_SIGNATURE, "AuthorSignature", "#role-author"),
        (DISTRIBUTOR_SIGNATURE, "DistributorSignature", "#role-distributor"),
    ],
)
def test_signature_follows_the_widget_profile(
    signed_dir: Path, name: str, signature_id: str, role: str
) -> None:
    doc = etree.parse(str(signed_dir / name))
    root = doc.getroot()
    assert root.tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert root.get("Id") == signature_id

    def one(path: str) -> str:
        (value,) = doc.xpath(path, namespaces=DS)
        return str(value)

    assert (
        one("//ds:CanonicalizationMethod/@Algorithm") == "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert one("//ds:SignatureMethod/@Algorithm").endswith("xmldsig-more#rsa-sha256")
    digests = doc.xpath("//ds:DigestMethod/@Algorithm", namespaces=DS)
    assert set(digests) == {"http://www.w3.org/2001/04/xmlenc#sha256"}
    assert one("//ds:Reference[@URI='#prop']//ds:Transform/@Algorithm") == (
        "http://www.w3.org/2006/12/xml-c14n11"
    )
    assert one("//ds:Object/@Id") == "prop"
    targets = set(doc.xpath("//ds:SignatureProperty/@Target", namespaces=DS))
    assert targets == {f"#{signature_id}"}
    assert one("//dsp:Profile/@URI") == "http://www.w3.org/ns/widgets-digsig#profile"
    assert one("//dsp:Role/@URI") == f"http://www.w3.org/ns/widgets-digsig{role}"
    assert re.fullmatch(r"[0-9a-f]{32}", one("//dsp:Identifier/text()"))


def test_key_info_carries_the_chain_without_the_root(signed_dir: Path, pki: Pki) -> None:
    doc = etree.parse(str(signed_dir / AUTHOR_SIGNATURE))
    texts = doc.xpath("//ds:X509Certificate/text()", namespaces=DS)
    certs = [x509.load_der_x509_certificate(base64.b64decode(t)) for t in texts]
    assert certs == [pki.author_cert, pki.intermediate_cert]


@pytest.mark.parametrize("victim", ["index.html", "js/app.js", "my file \u00e9\u00e8 \u732b.txt"])
def test_one_changed_byte_in_a_file_breaks_both_signatures(
    signed_dir: Path, pki: Pki, victim: str
) -> None:
    path = signed_dir / victim
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    assert not _verified(signed_dir, pki, AUTHOR_SIGNATURE)
    assert not _verified(signed_dir, pki, DISTRIBUTOR_SIGNATURE)
    result = xmlsec1_verify(signed_dir, AUTHOR_SIGNATURE, pki.ca_pem)
    assert "data and digest do not match" in result.stderr


def test_a_missing_file_fails_verification(signed_dir: Path, pki: Pki) -> None:
    (signed_dir / "js" / "app.js").unlink()
    assert not _verified(signed_dir, pki, AUTHOR_SIGNATURE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("#role-author", "#role-distributor"),  # the #prop object (role) changed
        ("<DigestValue>", "<DigestValue>A"),  # a reference's digest changed
        ("<SignatureValue>\n", "<SignatureValue>\nAAAA"),  # the signature value changed
    ],
)
def test_a_tampered_author_signature_fails_and_breaks_the_distributor_signature(
    signed_dir: Path, pki: Pki, old: str, new: str
) -> None:
    path = signed_dir / AUTHOR_SIGNATURE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert not _verified(signed_dir, pki, AUTHOR_SIGNATURE)
    assert not _verified(signed_dir, pki, DISTRIBUTOR_SIGNATURE)


def test_a_signature_from_an_untrusted_ca_fails(signed_dir: Path, tmp_path: Path) -> None:
    stranger = make_pki(tmp_path)
    assert xmlsec1_verify(signed_dir, AUTHOR_SIGNATURE, stranger.ca_pem).returncode != 0


def test_signing_is_deterministic_but_for_the_identifier(
    identities: tuple[SigningIdentity, SigningIdentity],
) -> None:
    author, _ = identities
    first = build_signature(CONTENT, author, Role.AUTHOR, identifier="abc123")
    assert first == build_signature(CONTENT, author, Role.AUTHOR, identifier="abc123")
    assert first != build_signature(CONTENT, author, Role.AUTHOR, identifier="abc124")


@pytest.mark.parametrize("identifier", ["", "a b", "x<y", "\u00e9t\u00e9", "-"])
def test_identifier_must_be_ascii_letters_and_digits(
    identities: tuple[SigningIdentity, SigningIdentity], identifier: str
) -> None:
    with pytest.raises(TizenSignError, match="identifier"):
        build_signature(CONTENT, identities[0], Role.AUTHOR, identifier=identifier)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../escape.js",
        "a/../../b",
        "a//b",
        "./a",
        "dir/",
        "back\\slash.js",
        "nul\x00byte",
        "new\nline",
        "author-signature.xml",
        "signature1.xml",
        "signature42.xml",
        "x" * 2000,
        "\udcff-surrogate",
    ],
)
def test_hostile_package_names_are_refused(
    identities: tuple[SigningIdentity, SigningIdentity], name: str
) -> None:
    author, distributor = identities
    with pytest.raises(PackageNameError):
        sign_package({**CONTENT, name: b"x"}, author, distributor)


def test_names_that_only_look_like_signatures_are_content(
    tmp_path: Path, identities: tuple[SigningIdentity, SigningIdentity], pki: Pki
) -> None:
    files = {
        **CONTENT,
        "sub/author-signature.xml": b"a",
        "signature0.xml": b"b",
        "Signature1.xml": b"c",
    }
    signed = sign_package(files, *identities)
    package = write_tree({**files, **signed}, tmp_path / "pkg")
    assert _verified(package, pki, AUTHOR_SIGNATURE)
    assert b"sub%2Fauthor-signature.xml" in signed[AUTHOR_SIGNATURE]


def test_the_properties_object_has_tizen_studios_layout(
    identities: tuple[SigningIdentity, SigningIdentity],
) -> None:
    text = build_signature(CONTENT, identities[0], Role.AUTHOR, identifier="id42").decode()
    target = 'Target="#AuthorSignature"'
    dsp = "http://www.w3.org/2009/xmldsig-properties"
    digsig = "http://www.w3.org/ns/widgets-digsig"
    expected = (
        f'<Object Id="prop"><SignatureProperties xmlns:dsp="{dsp}">'
        f'<SignatureProperty Id="profile" {target}><dsp:Profile URI="{digsig}#profile">'
        "</dsp:Profile></SignatureProperty>"
        f'<SignatureProperty Id="role" {target}><dsp:Role URI="{digsig}#role-author">'
        "</dsp:Role></SignatureProperty>"
        f'<SignatureProperty Id="identifier" {target}><dsp:Identifier>id42</dsp:Identifier>'
        "</SignatureProperty></SignatureProperties></Object>\n</Signature>"
    )
    assert text.endswith(expected)
    assert text.startswith(
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="AuthorSignature">\n'
    )
