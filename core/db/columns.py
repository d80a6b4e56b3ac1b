"""Column helpers shared by the table modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer

AutoIncrementId: Any = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit integer keys; SQLite only auto-increments a column typed exactly INTEGER."""
