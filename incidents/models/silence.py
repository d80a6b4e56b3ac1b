"""Silences and maintenance windows: matching alerts are stored but page nobody."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Text, Uuid
from sqlmodel import Field, SQLModel

from core.db.types import JSONType, UTCDateTime
from core.ids import new_id


class Silence(SQLModel, table=True):
    """Suppresses incidents for alerts matching all `matchers` during [starts_at, ends_at)."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_window", "starts_at", "ends_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    """`silence` (ad hoc, by labels) or `maintenance` (planned work)."""
    integration_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=True),
    )
    """Only alerts of this integration; None for every integration."""
    matchers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    """`[{"label": "namespace", "op": "=", "value": "shop"}]`; ops `=`, `!=`, `=~`, `!~`."""
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
