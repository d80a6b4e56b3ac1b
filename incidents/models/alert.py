"""Alerts as stored: one row per occurrence of a fingerprint."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime


class Alert(SQLModel, table=True):
    """An alert occurrence: opened by a firing signal, closed by a resolved one."""

    __tablename__ = "alerts"
    __table_args__ = (
        # At most one open occurrence per fingerprint: concurrent deliveries of a
        # new alert collide here and all but one become duplicates.
        UniqueConstraint("integration_id", "open_fingerprint", name="uq_alerts_open_fingerprint"),
        Index("ix_alerts_integration_fingerprint", "integration_id", "fingerprint"),
        Index("ix_alerts_last_seen", "last_seen"),
    )

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    integration_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    )
    incident_id: int | None = Field(
        default=None,
        sa_column=Column(
            AutoIncrementId,
            ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    """None while silenced, or for a resolve signal of an alert never seen firing."""
    source: str = Field(sa_column=Column(String(32), nullable=False))
    fingerprint: str = Field(sa_column=Column(String(255), nullable=False))
    open_fingerprint: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    """Equals `fingerprint` while firing, None once resolved."""
    status: str = Field(sa_column=Column(String(16), nullable=False))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    summary: str = Field(sa_column=Column(String(1024), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    annotations: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    links: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    group_key: str = Field(sa_column=Column(String(512), nullable=False))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    """Hash of what the sender said; equal hashes on a resend mean a duplicate."""
    starts_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    duplicates: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """Deliveries of identical content collapsed into this row."""
    silenced_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("silences.id", ondelete="SET NULL"), nullable=True),
    )
    source_acknowledged: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
