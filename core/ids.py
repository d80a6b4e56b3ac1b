"""Identifiers for rows and runs."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    """Return a new random identifier (UUID version 4)."""
    return uuid.uuid4()
