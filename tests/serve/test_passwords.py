"""Password hashes: argon2id at the current parameters, salted, self-describing,
malformation-safe; old scrypt hashes verify and are upgraded at the next sign-in."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters
from flask import Flask
from flask.testing import FlaskClient

from serve.extensions import app_db
from serve.passwords import (
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME,
    SCRYPT_N,
    generate_password,
    hash_password,
    needs_rehash,
    scrypt_hash,
    verify_password,
)

# A hash written by Miauflix before argon2id (scrypt N=2^15, r=8, p=1) of this password.
OLD_PASSWORD = "correct horse battery staple"
OLD_SCRYPT_HASH = (
    "scrypt$32768$8$1$wXdXtaqgSVOQ24hsPreUvg==$5FEOr6TpJVhB+f1icv9EgFJm9FeSXYlU4LA9T6TzbY0="
)


def test_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horse ", stored)
    assert not verify_password("Correct horse", stored)
    assert not verify_password("", stored)


def test_hash_is_argon2id_salted_and_at_least_owasp_parameters() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first != second
    assert first.startswith("$argon2id$v=19$")
    params = extract_parameters(first)
    assert params.type is Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (
        ARGON2_MEMORY_KIB,
        ARGON2_TIME,
        ARGON2_PARALLELISM,
    )
    # OWASP's minimum: m=19 MiB, t=2, p=1 (more memory may trade for fewer passes).
    assert params.memory_cost >= 19 * 1024 and params.memory_cost * params.time_cost >= 38 * 1024
    assert not needs_rehash(first)


def test_an_old_scrypt_hash_still_verifies_and_asks_for_a_rehash() -> None:
    assert verify_password(OLD_PASSWORD, OLD_SCRYPT_HASH)
    assert not verify_password(OLD_PASSWORD + "!", OLD_SCRYPT_HASH)
    assert needs_rehash(OLD_SCRYPT_HASH)
    assert needs_rehash(scrypt_hash("x", n=2, r=1, p=1))
    assert scrypt_hash("x", n=2**4).split("$")[1] == "16" and SCRYPT_N == 2**15


def test_a_weaker_argon2id_hash_asks_for_a_rehash() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw")
    assert verify_password("pw", weak) and needs_rehash(weak)


def test_signing_in_with_an_old_scrypt_hash_upgrades_it_to_argon2id(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        user = app_db().create_user("old-timer@example.test", OLD_SCRYPT_HASH)
    wrong = client.post(
        "/api/auth/login", json={"email": "old-timer@example.test", "password": "wrong pass 1"}
    )
    assert wrong.status_code == 401
    with app.app_context():
        assert app_db().user_by_id(user.id).password_hash == OLD_SCRYPT_HASH  # type: ignore[union-attr]
    signed_in = client.post(
        "/api/auth/login", json={"email": "old-timer@example.test", "password": OLD_PASSWORD}
    )
    assert signed_in.status_code == 200
    with app.app_context():
        stored = app_db().user_by_id(user.id).password_hash  # type: ignore[union-attr]
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert verify_password(OLD_PASSWORD, stored)
    again = client.post(
        "/api/auth/login", json={"email": "old-timer@example.test", "password": OLD_PASSWORD}
    )
    assert again.status_code == 200
    with app.app_context():
        assert app_db().user_by_id(user.id).password_hash == stored  # type: ignore[union-attr]


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
        "$argon2id$v=19$m=65536,t=3,p=1$!!!$!!!",
        "$argon2id$v=19$m=4294967295,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",  # bomb
        "$argon2id$v=19$m=65536,t=100000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=65536,t=3,p=255$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0",
        "$argon2id$",
    ],
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert verify_password("anything", stored) is False


def test_generated_passwords_are_long_and_distinct() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(password) >= 20 for password in passwords)
