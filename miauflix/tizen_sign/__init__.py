"""Sign a Tizen widget package (``.wgt``) the way Tizen's installer checks it.

The W3C "XML Digital Signatures for Widgets" profile as Tizen uses it: an author signature
(``author-signature.xml``) over every file of the package, and a distributor signature
(``signature1.xml``) over every file *including* the author signature. Each is an XML
Signature (exclusive canonicalisation, RSA-SHA256, one SHA-256 reference per file, a
``#prop`` reference to the profile/role/identifier properties) carrying the signer's
certificate chain, made from the user's own PKCS#12 (``.p12``) files.

Errors (all :class:`~core.errors.MiauflixError`)::

    TizenSignError              the package or the signing material is unusable
     ├── P12Error               a .p12 file cannot be opened (wrong password, no key, ...)
     └── PackageNameError       a file name the package cannot carry (absolute, "..", ...)
"""

from __future__ import annotations

from miauflix.tizen_sign.errors import P12Error, PackageNameError, TizenSignError
from miauflix.tizen_sign.identity import SigningIdentity, load_p12
from miauflix.tizen_sign.signature import (
    AUTHOR_SIGNATURE,
    DISTRIBUTOR_SIGNATURE,
    Role,
    build_signature,
    sign_package,
)

__all__ = [
    "AUTHOR_SIGNATURE",
    "DISTRIBUTOR_SIGNATURE",
    "P12Error",
    "PackageNameError",
    "Role",
    "SigningIdentity",
    "TizenSignError",
    "build_signature",
    "load_p12",
    "sign_package",
]
