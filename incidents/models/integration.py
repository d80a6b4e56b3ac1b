"""Integrations: where alerts come from, and the rejected requests kept for inspection."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text, Uuid
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime
from core.ids import new_id


class Integration(SQLModel, table=True):
    """One sender (an Alertmanager, a Zabbix server, ...) with its secret URL token."""

    __tablename__ = "integrations"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    source: str = Field(sa_column=Column(String(32), nullable=False))
    team_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    )
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    """SHA-256 of the URL token; the token itself is shown once, at creation or rotation."""
    token_hint: str = Field(sa_column=Column(String(8), nullable=False))
    """First characters of the token, so people can tell tokens apart."""
    grouping: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    """`GroupingRule` as JSON: how alerts of this integration are grouped into incidents."""
    auto_resolve: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    """Resolve the incident when its last open alert resolves."""
    reopen_window_s: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """A new firing alert reopens an incident of the same group resolved this recently."""
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    slack_channel: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    """Slack channel id where the Slack bot posts this integration's new incidents."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Rejection(SQLModel, table=True):
    """A request an integration endpoint refused, kept (bounded) for inspection."""

    __tablename__ = "rejections"

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    integration_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    source: str = Field(sa_column=Column(String(32), nullable=False))
    status_code: int = Field(sa_column=Column(Integer, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    content_type: str = Field(sa_column=Column(String(200), nullable=False))
    body_size: int = Field(sa_column=Column(Integer, nullable=False))
    """Size of the request body in bytes, before truncation."""
    body: str = Field(sa_column=Column(Text, nullable=False))
    """The body as received (decoded leniently), truncated to a bounded size."""
