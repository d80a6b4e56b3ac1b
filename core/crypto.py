"""Encryption of secrets at rest (webhook secrets, routing keys) with the settings' secret key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from core.errors import ConfigError


class SecretBox:
    """Encrypts and decrypts short secrets (Fernet: AES-128-CBC with HMAC-SHA256)."""

    def __init__(self, secret_key: str) -> None:
        """Derive the encryption key from `security.secret_key`."""
        digest = hashlib.sha256(b"pixelview-secrets-v1:" + secret_key.encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        """The ciphertext, as text safe to store."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, ciphertext: str) -> str:
        """The plaintext; `ConfigError` when the key changed since it was sealed."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken as e:
            raise ConfigError(
                "a stored secret cannot be decrypted: security.secret_key changed since it was set"
            ) from e
