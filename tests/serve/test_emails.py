"""Email addresses: one canonical form per account, look-alikes refused at creation, and a
failed sign-in never stores what was typed into the email field unless it is an address."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from serve import audit
from serve.emails import (
    INVALID,
    EmailRefused,
    audit_email,
    canonical_email,
    checked_email,
    look_alike_of,
    skeleton,
)
from serve.extensions import app_db
from tests.serve.conftest import assert_error

PASSWORD = "purple monkey dishwasher 42"
FULLWIDTH_ALICE = "".join(chr(ord(c) + 0xFEE0) for c in "alice")
FULLWIDTH_ADMIN = "".join(chr(ord(c) + 0xFEE0) for c in "admin")
# An all-Cyrillic address (alisa@primer.rf): one script in each part is fine.
CYRILLIC_ONLY = "\u0430\u043b\u0438\u0441\u0430@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  alice@example.com\t", "alice@example.com"),
        (FULLWIDTH_ALICE + "@example.com", "alice@example.com"),  # fullwidth (NFKC)
        ("STRASSE@example.com", "strasse@example.com"),
        ("straße@example.com", "strasse@example.com"),  # casefold
        ("josé@example.com", "josé@example.com"),
        ("jose\u0301@example.com", "josé@example.com"),  # combining accent composed
        (CYRILLIC_ONLY, CYRILLIC_ONLY),  # one script per part
    ],
)
def test_equivalent_spellings_share_one_canonical_form(raw: str, canonical: str) -> None:
    assert checked_email(raw) == canonical
    assert canonical_email(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "alice\u200b@example.com",  # zero-width space
        "al\u200dice@example.com",  # zero-width joiner
        "alice@exa\u00admple.com",  # soft hyphen
        "\u202ealice@example.com",  # right-to-left override
        "alice\ufeff@example.com",  # BOM / zero-width no-break space
        "ali\u2060ce@example.com",  # word joiner
        "alice\x00@example.com",
        "ali ce@example.com",
        "ali\u00a0ce@example.com",  # no-break space
        "\u0430lice@example.com",  # Cyrillic a in a Latin local part
        "alice@ex\u0430mple.com",  # Cyrillic a in a Latin domain label
        "alice@examp\u03bfe.com",  # Greek omicron
        "p\u0430ypal@example.com",
        "not-an-email",
        "a@b",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "alice@-example.com",
        "alice@example.c0m",
        "a" * 65 + "@example.com",
        "alice@" + "e" * 400 + ".com",
        "",
    ],
)
def test_invisible_characters_and_mixed_scripts_are_refused(raw: str) -> None:
    with pytest.raises(EmailRefused):
        checked_email(raw)


@pytest.mark.parametrize(
    "raw",
    ["alice\u200b@example.test", "\u0430dmin@example.test", "admin@ex\u0430mple.test"],
)
def test_admins_cannot_create_look_alike_accounts(
    client: FlaskClient, auth: dict[str, str], raw: str
) -> None:
    response = client.post(
        "/api/admin/users", json={"email": raw, "password": PASSWORD}, headers=auth
    )
    message = assert_error(response, 400, "invalid_email")
    assert "email" in message


@pytest.mark.parametrize(
    "spelling", ["ADMIN@EXAMPLE.TEST", FULLWIDTH_ADMIN + "@example.test", " admin@example.test "]
)
def test_another_spelling_of_an_existing_address_is_the_same_account(
    client: FlaskClient, auth: dict[str, str], spelling: str
) -> None:
    response = client.post(
        "/api/admin/users", json={"email": spelling, "password": PASSWORD}, headers=auth
    )
    assert_error(response, 409, "user_exists")


def test_a_created_account_is_stored_canonical_and_signs_in_with_any_spelling(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    created = client.post(
        "/api/admin/users",
        json={"email": "\uff36iewer@Example.test", "password": PASSWORD},
        headers=auth,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["email"] == "viewer@example.test"
    signed_in = client.post(
        "/api/auth/login", json={"email": "VIEWER@example.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 200


@pytest.mark.parametrize(
    "typed",
    [
        "correct horse battery staple",  # the admin's real password in the wrong field
        "Hunter2-hunter2",
        "p@ssw0rd!",
        "my@secret",
        "x" * 319,
    ],
)
def test_a_password_typed_into_the_email_field_is_never_stored(
    app: Flask, client: FlaskClient, settings: Settings, typed: str
) -> None:
    response = client.post("/api/auth/login", json={"email": typed, "password": typed})
    assert_error(response, 401, "invalid_credentials")
    with app.app_context():
        events = audit.query(app_db(), event="login_failure")[0]
    assert events and events[0].details["email"] == INVALID
    app_db_bytes = b"".join(
        path.read_bytes()
        for path in settings.app_db_path.parent.iterdir()
        if path.name.startswith(settings.app_db_path.name)
    )
    assert typed.encode() not in app_db_bytes
    assert typed not in str([event.as_dict() for event in events])


def test_a_failed_sign_in_with_a_well_formed_address_records_it_canonical(
    app: Flask, client: FlaskClient
) -> None:
    client.post(
        "/api/auth/login", json={"email": "Nobody@Example.test", "password": "wrong one here"}
    )
    with app.app_context():
        event = audit.query(app_db(), event="login_failure")[0][0]
    assert event.details["email"] == "nobody@example.test" and event.user_id is None


def test_audit_email_keeps_only_addresses() -> None:
    assert audit_email(" Alice@Example.com ") == "alice@example.com"
    assert audit_email("hunter2") == INVALID
    assert audit_email("\u0430lice@example.com") == INVALID


# "scope" in Cyrillic letters only (dze, es, o, er, ie): each part is one script, but the
# address renders like the existing scope@example.test.
WHOLE_SCRIPT_TWIN = "\u0455\u0441\u043e\u0440\u0435@example.test"


def test_a_whole_script_twin_of_an_existing_account_is_refused(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    first = client.post(
        "/api/admin/users", json={"email": "scope@example.test", "password": PASSWORD},
        headers=auth,
    )  # fmt: skip
    assert first.status_code == 201
    twin = client.post(
        "/api/admin/users", json={"email": WHOLE_SCRIPT_TWIN, "password": PASSWORD},
        headers=auth,
    )  # fmt: skip
    message = assert_error(twin, 400, "invalid_email")
    assert "scope@example.test" in message
    other = client.post(
        "/api/admin/users", json={"email": CYRILLIC_ONLY, "password": PASSWORD}, headers=auth
    )
    assert other.status_code == 201  # an address in another script that resembles nobody


def test_the_skeleton_maps_look_alike_letters_only() -> None:
    assert look_alike_of("\u0430\u0441\u0435@example.test", ["ace@example.test"]) == (
        "ace@example.test"
    )
    assert look_alike_of("ace@example.test", ["ace@example.test"]) is None  # itself
    assert look_alike_of(CYRILLIC_ONLY, ["alice@example.com", "bob@example.com"]) is None
    assert skeleton("bob@example.com") == "bob@example.com"
