"""Write ``author-signature.xml`` and ``signature1.xml`` for a widget package.

The document has the shape Tizen Studio writes and Tizen's installer verifies::

    <Signature Id="AuthorSignature">          (xmldsig namespace)
      <SignedInfo>  exc-c14n · rsa-sha256
        <Reference URI="config.xml">   sha256 of the file's bytes        (one per file)
        <Reference URI="#prop">        c14n11 transform · sha256 of the Object
      <SignatureValue>   RSA-SHA256 over the exclusive canonical form of SignedInfo
      <KeyInfo><X509Data>  the signer's certificate, then its issuers
      <Object Id="prop">  SignatureProperties: Profile, Role, Identifier

The ``#prop`` reference uses Canonical XML 1.1, as Tizen Studio writes it. lxml has no 1.1
mode and its inclusive mode is unreliable on a sub-element, so the Object is serialised on
its own (lxml declares the in-scope namespaces on it) and that standalone document is
canonicalised whole with inclusive C14N. For this Object (no ``xml:*`` attributes, only
the dsig default namespace inherited) those bytes are what 1.1 gives for the Object inside
the signature. The tests check every signature with an independent verifier (``xmlsec1``).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from enum import Enum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from miauflix.tizen_sign.errors import TizenSignError
from miauflix.tizen_sign.identity import SigningIdentity
from miauflix.tizen_sign.names import (
    AUTHOR_SIGNATURE,
    DISTRIBUTOR_SIGNATURE,
    check_content_name,
    is_signature_name,
    reference_uri,
)

DSIG = "http://www.w3.org/2000/09/xmldsig#"
DSP = "http://www.w3.org/2009/xmldsig-properties"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
PROFILE = "http://www.w3.org/ns/widgets-digsig#profile"


class Role(Enum):
    """A signature's role: (file name, Signature/@Id, role URI)."""

    AUTHOR = (
        AUTHOR_SIGNATURE,
        "AuthorSignature",
        "http://www.w3.org/ns/widgets-digsig#role-author",
    )
    DISTRIBUTOR = (
        DISTRIBUTOR_SIGNATURE,
        "DistributorSignature",
        "http://www.w3.org/ns/widgets-digsig#role-distributor",
    )

    @property
    def file_name(self) -> str:
        return self.value[0]

    @property
    def signature_id(self) -> str:
        return self.value[1]

    @property
    def uri(self) -> str:
        return self.value[2]


def sign_package(
    files: Mapping[str, bytes],
    author: SigningIdentity,
    distributor: SigningIdentity | None = None,
) -> dict[str, bytes]:
    """The signature files for ``files`` (content by zip name): author, then distributor.

    The distributor signature covers the author signature too, as the profile requires.
    """
    for name in files:
        check_content_name(name)
    signed = {AUTHOR_SIGNATURE: build_signature(files, author, Role.AUTHOR)}
    if distributor is not None:
        covered = {**files, **signed}
        signed[DISTRIBUTOR_SIGNATURE] = build_signature(covered, distributor, Role.DISTRIBUTOR)
    return signed


def build_signature(
    files: Mapping[str, bytes],
    identity: SigningIdentity,
    role: Role,
    *,
    identifier: str | None = None,
) -> bytes:
    """One signature document over ``files`` (distributor signatures are left out)."""
    ident = identifier if identifier is not None else uuid.uuid4().hex
    if not ident.isascii() or not ident.isalnum():
        raise TizenSignError(f"signature identifier {ident[:80]!r} must be ASCII letters/digits")
    root = etree.Element(f"{{{DSIG}}}Signature", {"Id": role.signature_id}, nsmap={None: DSIG})
    root.text = "\n"
    signed_info = _child(root, "SignedInfo")
    _child(signed_info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _child(signed_info, "SignatureMethod", Algorithm=RSA_SHA256)
    for name in sorted(files):
        if role is Role.DISTRIBUTOR and name == AUTHOR_SIGNATURE:
            pass  # the distributor signs the author signature
        elif is_signature_name(name):
            continue
        else:
            check_content_name(name)
        _reference(signed_info, reference_uri(name), _digest(files[name]))
    prop_ref = _reference(signed_info, "#prop", "", transform=C14N11)
    signature_value = _child(root, "SignatureValue")
    x509_data = _child(_child(root, "KeyInfo"), "X509Data")
    for cert in identity.chain:
        _child(x509_data, "X509Certificate").text = _b64_lines(cert.public_bytes(Encoding.DER))
    obj = _child(root, "Object", Id="prop", pretty=False)
    _properties(obj, role, ident)

    prop_ref.find(f"{{{DSIG}}}DigestValue").text = _digest(_canonical_object(obj))  # type: ignore[union-attr]
    canonical_signed_info = etree.tostring(
        signed_info, method="c14n", exclusive=True, with_comments=False
    )
    raw = identity.key.sign(canonical_signed_info, padding.PKCS1v15(), hashes.SHA256())
    signature_value.text = _b64_lines(raw)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _child(
    parent: etree._Element, tag: str, *, pretty: bool = True, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{DSIG}}}{tag}", attrib)
    if pretty and tag in {"SignedInfo", "Reference", "Transforms", "KeyInfo", "X509Data"}:
        element.text = "\n"
    element.tail = "\n"
    return element


def _reference(
    signed_info: etree._Element, uri: str, digest: str, *, transform: str | None = None
) -> etree._Element:
    ref = _child(signed_info, "Reference", URI=uri)
    if transform is not None:
        _child(_child(ref, "Transforms"), "Transform", Algorithm=transform)
    _child(ref, "DigestMethod", Algorithm=SHA256)
    _child(ref, "DigestValue").text = digest
    return ref


def _properties(obj: etree._Element, role: Role, identifier: str) -> None:
    props = etree.SubElement(obj, f"{{{DSIG}}}SignatureProperties", nsmap={"dsp": DSP})
    target = f"#{role.signature_id}"
    values = (("profile", "Profile", PROFILE), ("role", "Role", role.uri))
    for prop_id, tag, uri in values:
        prop = etree.SubElement(props, f"{{{DSIG}}}SignatureProperty", Id=prop_id, Target=target)
        etree.SubElement(prop, f"{{{DSP}}}{tag}", URI=uri).text = ""
    prop = etree.SubElement(props, f"{{{DSIG}}}SignatureProperty", Id="identifier", Target=target)
    etree.SubElement(prop, f"{{{DSP}}}Identifier").text = identifier


def _canonical_object(obj: etree._Element) -> bytes:
    """The Object's Canonical XML 1.1 bytes (see the module docstring)."""
    alone = etree.fromstring(etree.tostring(obj, with_tail=False))
    return etree.tostring(alone.getroottree(), method="c14n", exclusive=False, with_comments=False)


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _b64_lines(data: bytes) -> str:
    return "\n" + base64.encodebytes(data).decode("ascii")
