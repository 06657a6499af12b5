"""The pairing code (serve/pairing.py): an http(s) IPv4 origin as XXXX-XXXX-XXX that
round-trips, tolerates what people type (case, spaces, O/I/L) and refuses typos, hostile
and out-of-range input with a message."""

from __future__ import annotations

import re

import pytest

from serve.pairing import ALPHABET, Address, PairingCodeError, decode, encode

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}$")
HOME = Address("http", "192.168.1.20", 8000)


@pytest.mark.parametrize(
    "address",
    [
        HOME,
        Address("https", "10.0.0.1", 443),
        Address("http", "1.0.0.0", 1),  # the lowest address and port
        Address("https", "223.255.255.255", 65535),  # the highest of both
        Address("http", "127.0.0.1", 8000),  # loopback: an emulator on the same machine
        Address("http", "172.16.254.3", 80),
    ],
)
def test_every_usable_origin_round_trips_through_its_code(address: Address) -> None:
    code = encode(address)
    assert CODE.match(code), code
    assert decode(code) == address


def test_the_code_ignores_case_spaces_hyphens_and_reads_o_i_l_as_digits() -> None:
    code = encode(HOME)
    assert decode(code.lower()) == HOME
    assert decode(code.replace("-", "")) == HOME
    assert decode(" " + code.replace("-", " ") + " ") == HOME
    confusable = code.replace("0", "O").replace("1", "I")
    assert decode(confusable) == HOME


def test_every_single_wrong_character_is_caught() -> None:
    code = encode(HOME).replace("-", "")
    for at, char in enumerate(code):
        for other in ALPHABET:
            if other == char:
                continue
            typo = code[:at] + other + code[at + 1 :]
            with pytest.raises(PairingCodeError):
                decode(typo)


def test_swapping_two_different_neighbours_is_caught() -> None:
    code = encode(Address("https", "203.0.113.77", 54321)).replace("-", "")
    for at in range(len(code) - 1):
        a, b = code[at], code[at + 1]
        if a == b or {a, b} == {"0", "Z"}:  # Luhn mod N's one blind spot: 0 and N-1
            continue
        swapped = code[:at] + b + a + code[at + 2 :]
        with pytest.raises(PairingCodeError):
            decode(swapped)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "11 characters, not 0"),
        ("60N0-0H87-T0", "not 10"),
        ("60N0-0H87-T0JJ", "not 12"),
        ("6" * 33, "11 characters"),  # long input is refused before it is read
        ("60N0-0H87-T0U", "cannot be in"),  # U is not Crockford
        ("60N0-0H87-T0*", "cannot be in"),
        ("60N0.0H87.T0J", "cannot be in"),
        ("<script>x</x>", "cannot be in"),
        ("60N0-0H87-T0J\u0000", "cannot be in"),
        ("\u0666\u0660N0-0H87-T0J", "cannot be in"),  # Arabic-Indic digits are not digits here
        ("192.168.1.20:8000", "cannot be in"),
    ],
)
def test_malformed_codes_are_refused_with_a_reason(typed: str, said: str) -> None:
    with pytest.raises(PairingCodeError, match=re.escape(said)):
        decode(typed)


def _forge(value: int) -> str:
    """A well-formed code (right check digit) for any 50-bit value."""
    from serve.pairing import _check_digit

    digits = [(value >> (5 * (9 - i))) & 31 for i in range(10)]
    return "".join(ALPHABET[d] for d in [*digits, _check_digit(digits)])


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (1 << 49, "newer Miauflix"),  # the version bit
        ((192 << 40) | (168 << 32) | (1 << 24) | (20 << 16), "port 0"),
        (8000, "not an address"),  # 0.0.0.0
        ((224 << 40) | (1 << 16) | 80, "not an address"),  # multicast
        ((255 << 40) | (255 << 32) | (255 << 24) | (255 << 16) | 80, "not an address"),
        ((240 << 40) | 80, "not an address"),  # reserved
        ((1 << 50) - 1, "newer Miauflix"),  # every bit set
    ],
)
def test_well_formed_codes_of_unusable_addresses_are_refused(value: int, said: str) -> None:
    with pytest.raises(PairingCodeError, match=said):
        decode(_forge(value))


@pytest.mark.parametrize(
    ("address", "said"),
    [
        (Address("ftp", "10.0.0.1", 21), "scheme"),  # type: ignore[arg-type]
        (Address("http", "10.0.0.1", 0), "port 0"),
        (Address("http", "10.0.0.1", 65536), "port 65536"),
        (Address("http", "fe80::1", 80), "not an IPv4"),
        (Address("http", "miauflix.lan", 80), "not an IPv4"),
        (Address("http", "010.0.0.1", 80), "not an IPv4"),  # leading zeros: ambiguous
        (Address("http", "0.0.0.0", 80), "not an address"),
        (Address("http", "239.1.1.1", 80), "not an address"),
    ],
)
def test_addresses_without_a_code_are_refused(address: Address, said: str) -> None:
    with pytest.raises(PairingCodeError, match=said):
        encode(address)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(PairingCodeError):
        decode(12345678901)  # type: ignore[arg-type]
