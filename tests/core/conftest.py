"""Fixtures for the foundation's tests."""

from __future__ import annotations

import pytest

from core.crypto import FieldCipher, load_or_create_master_key
from core.settings import Settings


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    """The field cipher of the test's master key (as publish and the readers use it)."""
    return FieldCipher(
        load_or_create_master_key(settings.key_path, settings.secret_key.get_secret_value())
    )
