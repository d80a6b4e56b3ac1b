"""The `jobs` table: every piece of background work is a row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.types import JSONType, UTCDateTime
from core.ids import new_id


class JobStatus(StrEnum):
    """Life of a job: queued → running → succeeded | failed (queued again on retry)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(SQLModel, table=True):
    """One unit of background work, claimed by one worker at a time."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("kind", "dedup_key", name="uq_jobs_kind_dedup_key"),
        Index("ix_jobs_status_run_at", "status", "run_at"),
        Index("ix_jobs_status_finished_at", "status", "finished_at"),  # retention
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=Column(String(100), nullable=False))
    """Names the registered handler that runs this job."""
    dedup_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    """Enqueueing the same kind and key again returns the existing job."""
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    status: str = Field(default=JobStatus.QUEUED, sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """Times a worker has claimed this job."""
    max_attempts: int = Field(sa_column=Column(Integer, nullable=False))
    run_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    """Not claimed before this instant (set forward on retry)."""
    locked_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    """Lease end: a running job past it is claimable again (its worker died)."""
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


@dataclass(frozen=True, kw_only=True)
class ClaimedJob:
    """What a handler is given: the job as it was claimed."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempt: int
    """1 on the first run, 2 on the first retry, and so on."""
    max_attempts: int


@dataclass(frozen=True, kw_only=True)
class JobOutcome:
    """How one claimed job ended; it succeeded when `error` is None."""

    job: ClaimedJob
    error: str | None = None
    retryable: bool = True
    """With an error: retry with backoff while attempts remain, or (False) fail at once."""

    @property
    def label(self) -> str:
        """`succeeded`, `retried` or `failed`: the outcome as the job metrics count it."""
        if self.error is None:
            return "succeeded"
        if self.retryable and self.job.attempt < self.job.max_attempts:
            return "retried"
        return "failed"
