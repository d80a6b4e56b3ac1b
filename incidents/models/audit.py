"""The append-only audit log: every mutating API call and agent action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime


class AuditEntry(SQLModel, table=True):
    """Who did what to which object, when, and the object before and after.

    The database refuses UPDATE and DELETE on this table (triggers created by
    the migration), so the log cannot be edited even by a bug.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_target", "target_type", "target_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    action: str = Field(sa_column=Column(String(100), nullable=False))
    target_type: str = Field(sa_column=Column(String(50), nullable=False))
    target_id: str = Field(sa_column=Column(String(100), nullable=False))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    request_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
