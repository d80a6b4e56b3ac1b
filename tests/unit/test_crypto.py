from __future__ import annotations

import pytest

from core.crypto import SecretBox
from core.errors import ConfigError


def test_seal_and_open_round_trip_without_leaking_the_plaintext() -> None:
    box = SecretBox("k" * 40)
    sealed = box.seal("whsec_abc123")
    assert "whsec_abc123" not in sealed and sealed != box.seal("whsec_abc123")  # random IV
    assert box.open(sealed) == "whsec_abc123"


def test_another_key_cannot_open() -> None:
    sealed = SecretBox("k" * 40).seal("routing-key")
    with pytest.raises(ConfigError, match="secret_key changed"):
        SecretBox("j" * 40).open(sealed)
