"""On-call schedules as stored: the layers as a document, overrides and time off as rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Text, Uuid
from sqlmodel import Field, SQLModel

from core.db.types import JSONType, UTCDateTime
from core.ids import new_id


class ScheduleRow(SQLModel, table=True):
    """A schedule: its timezone and layers (`incidents.oncall.model.Layer` documents)."""

    __tablename__ = "schedules"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    layers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    team_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ScheduleOverride(SQLModel, table=True):
    """A person covering a schedule for a span, above every layer."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_overrides_schedule_span", "schedule_id", "start", "end"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    schedule_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TimeOff(SQLModel, table=True):
    """A person's holiday or leave: every schedule skips them during it."""

    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_user_span", "user_id", "start", "end"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
