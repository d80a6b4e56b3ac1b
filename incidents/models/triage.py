"""Triage runs: each investigation of an incident, queued, running or done, with its report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime


class TriageStatus(StrEnum):
    """Where a run stands."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TriageTrigger(StrEnum):
    """Why a run was started."""

    OPENED = "opened"
    """The incident was opened (or reopened): every new incident is triaged."""
    REQUESTED = "requested"
    """A person (or the CLI) asked for it again."""


class TriageRun(SQLModel, table=True):
    """One investigation of one incident."""

    __tablename__ = "triage_runs"
    __table_args__ = (Index("ix_triage_runs_incident", "incident_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    trigger: str = Field(sa_column=Column(String(16), nullable=False))
    requested_by: str = Field(sa_column=Column(String(200), nullable=False))
    mode: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    """`none` or the model that ran it (`openai:gpt-4o-mini`, `local:qwen2.5-coder-1.5b`)."""
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    """A `TriageReport` as JSON, once the run succeeded."""
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    """The run's invocation log: tool, arguments, status, milliseconds, output size."""
    llm_calls: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    tokens_in: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    tokens_out: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    cost: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
