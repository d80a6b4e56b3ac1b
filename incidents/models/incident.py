"""Incidents and their timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
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


class IncidentStatus(StrEnum):
    """Lifecycle states; `in_progress` is a kind of acknowledged (PagerDuty keeps three)."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Incident(SQLModel, table=True):
    """A problem people act on: one or more alerts of the same group."""

    __tablename__ = "incidents"
    __table_args__ = (
        # One open incident per grouping key: concurrent first alerts of a group
        # collide here, and the loser attaches to the winner's incident.
        UniqueConstraint("integration_id", "open_group_key", name="uq_incidents_open_group_key"),
        Index("ix_incidents_group", "integration_id", "group_key"),
        Index("ix_incidents_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    integration_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    )
    source: str = Field(sa_column=Column(String(32), nullable=False))
    title: str = Field(sa_column=Column(String(1024), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    severity_pinned: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """A person set the severity: new alerts no longer raise it."""
    priority: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    group_key: str = Field(sa_column=Column(String(512), nullable=False))
    open_group_key: str | None = Field(default=None, sa_column=Column(String(512), nullable=True))
    """Equals `group_key` until resolved, then None (the uniqueness above)."""
    service: str | None = Field(
        default=None, sa_column=Column(String(200), nullable=True, index=True)
    )
    team_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    assignee_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    """Labels of the alert that opened the incident (for filtering)."""
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    alert_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    open_alert_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    reopen_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_alert_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    acknowledged_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    resolved_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    resolution_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class TimelineKind(StrEnum):
    """What a timeline entry records."""

    OPENED = "opened"
    ALERT_ADDED = "alert_added"
    ALERT_UPDATED = "alert_updated"
    ALERT_RESOLVED = "alert_resolved"
    STATUS_CHANGED = "status_changed"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    COMMENT = "comment"
    FIELD_CHANGED = "field_changed"
    NOTIFICATION_SENT = "notification_sent"
    AGENT_FINDING = "agent_finding"
    ESCALATION = "escalation"


class TimelineEntry(SQLModel, table=True):
    """One event in an incident's history, with who did it and when."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_incident_at", "incident_id", "at"),)

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    incident_id: int = Field(
        sa_column=Column(
            AutoIncrementId, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
        )
    )
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    """`user:<id>`, `integration:<id>` or `system`."""
    summary: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
