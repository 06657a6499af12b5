"""``GET /api/pairing`` (signed-in users): the server's LAN address and a short pairing code
the TV's first-run screen accepts instead of the address. No rendezvous server: the code
*is* the address (``http``/``https``, an IPv4 address and a port), so the TV decodes it
offline.

The code: 50 bits ``version (1, always 0) | https (1) | IPv4 (32) | port (16)`` as ten
Crockford base32 digits, big-endian, then one check digit (Luhn mod 32, which catches every
single wrong digit and most swapped neighbours), grouped ``XXXX-XXXX-XXX``. Decoding
ignores case, spaces and hyphens and reads ``O`` as 0, ``I``/``L`` as 1 (Crockford). The
same codec in JavaScript is ``web/src/core/pairing.js``; both are tested on the same vectors.

Which address: the configured ``MIAUFLIX_PUBLIC_URL``; else the IPv4 address the browser
reached this server on (the request's ``Host``) when it is not loopback; else the machine's
primary IPv4 address (a UDP socket "connected" to a TEST-NET address: no packet is sent),
unless the API listens on loopback only, where no TV could reach it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from serve.client import request_is_secure
from serve.extensions import app_settings
from serve.openapi_routes import RATE, Route, declare
from serve.tokens import protect_catalogue

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
DATA_DIGITS = 10
CODE_DIGITS = DATA_DIGITS + 1
MAX_INPUT = 32  # longer input is refused before it is looked at
_PROBE = ("192.0.2.1", 9)  # TEST-NET-1, discard port: only routed, never sent to

Scheme = Literal["http", "https"]
Source = Literal["configured", "request", "detected", "none"]


class PairingCodeError(ValueError):
    """A pairing code (or an address to encode) that is not valid; the message says why."""


@dataclass(frozen=True)
class Address:
    scheme: Scheme
    ipv4: str
    port: int

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.ipv4}:{self.port}"


def _check_digit(digits: list[int]) -> int:
    """Luhn mod 32 over the data digits."""
    total, factor = 0, 2
    for digit in reversed(digits):
        addend = factor * digit
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return (32 - total % 32) % 32


def _usable_ipv4(text: str) -> ipaddress.IPv4Address:
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        raise PairingCodeError(f"{text!r} is not an IPv4 address") from None
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved or int(ip) >> 24 == 0:
        raise PairingCodeError(f"{ip} is not an address a TV can connect to")
    return ip


def encode(address: Address) -> str:
    """The pairing code of ``address`` (``XXXX-XXXX-XXX``)."""
    if address.scheme not in ("http", "https"):
        raise PairingCodeError(f"scheme {address.scheme!r} is not http or https")
    if not 1 <= address.port <= 65535:
        raise PairingCodeError(f"port {address.port} is outside 1..65535")
    ip = _usable_ipv4(address.ipv4)
    value = (int(address.scheme == "https") << 48) | (int(ip) << 16) | address.port
    digits = [(value >> (5 * (DATA_DIGITS - 1 - i))) & 31 for i in range(DATA_DIGITS)]
    text = "".join(ALPHABET[d] for d in [*digits, _check_digit(digits)])
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def decode(code: str) -> Address:
    """The address a pairing code stands for; :class:`PairingCodeError` when it is not one."""
    if not isinstance(code, str) or len(code) > MAX_INPUT:
        raise PairingCodeError("a pairing code has 11 characters")
    compact = code.replace("-", "").replace(" ", "").upper()
    bad = sorted({c for c in compact if c not in _VALUES})
    if bad:
        raise PairingCodeError(f"{''.join(bad)!r} cannot be in a pairing code")
    if len(compact) != CODE_DIGITS:
        raise PairingCodeError(f"a pairing code has {CODE_DIGITS} characters, not {len(compact)}")
    digits = [_VALUES[c] for c in compact]
    if _check_digit(digits[:DATA_DIGITS]) != digits[DATA_DIGITS]:
        raise PairingCodeError("the code has a typo (its check character does not match)")
    value = 0
    for digit in digits[:DATA_DIGITS]:
        value = (value << 5) | digit
    if value >> 49:
        raise PairingCodeError("this pairing code is from a newer Miauflix")
    port = value & 0xFFFF
    if port == 0:
        raise PairingCodeError("the code names port 0")
    ip = _usable_ipv4(str(ipaddress.IPv4Address((value >> 16) & 0xFFFFFFFF)))
    return Address("https" if value >> 48 & 1 else "http", str(ip), port)


# --- which address --------------------------------------------------------------------------
def primary_ipv4() -> str | None:
    """The address this machine's default route leaves from, or None (no route, loopback)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE)  # UDP: sets the route, sends nothing
            found = str(probe.getsockname()[0])
    except OSError:
        return None
    try:
        return None if ipaddress.IPv4Address(found).is_loopback else found
    except ValueError:
        return None


class PairingInfo(BaseModel):
    """What the web client's pairing panel shows."""

    address: str | None = Field(description="The origin a TV should use, or null")
    code: str | None = Field(description="Its pairing code (XXXX-XXXX-XXX), or null")
    source: Source = Field(description="Where the address came from")
    note: str = Field(description="One sentence for the user (why there is no code, …)")


def _split(scheme: str, netloc: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return (parts.hostname or "", port)


def _info(scheme: Scheme, host: str, port: int, source: Source) -> PairingInfo:
    origin = f"{scheme}://{host}:{port}"
    try:
        code = encode(Address(scheme, host, port))
    except PairingCodeError:
        note = "This address names a host, not an IPv4 address: type it on the TV."
        return PairingInfo(address=origin, code=None, source=source, note=note)
    return PairingInfo(address=origin, code=code, source=source, note="Type the code on the TV.")


def resolve(
    *,
    public_url: str,
    listen_host: str,
    request_scheme: Scheme,
    request_host: str,
    detect: Callable[[], str | None] = primary_ipv4,
) -> PairingInfo:
    """The address (and code) a TV on the LAN should use; see the module docstring."""
    if public_url:
        parts = urlsplit(public_url)
        scheme: Scheme = "https" if parts.scheme == "https" else "http"
        where = _split(scheme, parts.netloc)
        if where and where[0]:
            return _info(scheme, where[0], where[1], "configured")
    where = _split(request_scheme, request_host)
    if where is None:
        return PairingInfo(address=None, code=None, source="none", note="Bad Host header.")
    host, port = where
    try:
        ip = ipaddress.IPv4Address(host)
    except ValueError:
        ip = None
    if ip is not None and not ip.is_loopback and not ip.is_unspecified:
        return _info(request_scheme, host, port, "request")
    if _loopback_only(listen_host):
        note = (
            f"The server listens on {listen_host} only, so no TV can reach it: set "
            "MIAUFLIX_HOST=0.0.0.0 (or MIAUFLIX_PUBLIC_URL behind a proxy)."
        )
        return PairingInfo(address=None, code=None, source="none", note=note)
    found = detect()
    if found is None:
        note = "No network address found: set MIAUFLIX_PUBLIC_URL."
        return PairingInfo(address=None, code=None, source="none", note=note)
    return _info(request_scheme, found, port, "detected")


def _loopback_only(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the route --------------------------------------------------------------------------------
bp = Blueprint("pairing", __name__)
protect_catalogue(bp)  # signed-in users, the shared catalogue rate limit


@bp.get("/api/pairing")
def pairing() -> ResponseReturnValue:
    settings = app_settings()
    info = resolve(
        public_url=settings.public_url,
        listen_host=settings.host,
        request_scheme="https" if request_is_secure() else "http",
        request_host=request.host,
    )
    response = jsonify(info.model_dump())
    response.headers["Cache-Control"] = "no-store"
    return response


declare(
    Route("GET", "/api/pairing", "The server's LAN address and its TV pairing code",
          ("auth",), answers={200: PairingInfo}, errors={429: RATE},
          description="The TV's first-run screen accepts the code instead of the address "
          "(decoded on the TV: the code is the address, no server is asked)."),
)  # fmt: skip
