"""scrypt password hashes: salted, self-describing, malformation-safe."""

from __future__ import annotations

import pytest

from serve.passwords import SCRYPT_N, generate_password, hash_password, verify_password


def test_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horse ", stored)
    assert not verify_password("Correct horse", stored)
    assert not verify_password("", stored)


def test_hash_is_salted_and_records_its_parameters() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first != second
    scheme, n, r, p, _salt, _digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", SCRYPT_N, 8, 1)


def test_non_ascii_passwords_round_trip() -> None:
    stored = hash_password("contraseña🔑")
    assert verify_password("contraseña🔑", stored)
    assert not verify_password("contrasena🔑", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plaintext",
        "scrypt$16384$8$1$!!!$!!!",
        "bcrypt$16384$8$1$AAAA$AAAA",
        "scrypt$1099511627776$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # cost bomb refused
        "scrypt$16385$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # n not a power of two
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$AAAA",
    ],
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert verify_password("anything", stored) is False


def test_generated_passwords_are_long_and_distinct() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(password) >= 20 for password in passwords)
