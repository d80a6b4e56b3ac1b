"""Secret tokens: generated here, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str) -> str:
    """A new random token, e.g. `pvi_3q2...` (prefix says what it opens)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    """SHA-256 hex of the token: tokens carry 256 random bits, so no salt or KDF is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
