"""Incidents, alerts and timelines as the API returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from incidents.lifecycle import Action


class Out(BaseModel):
    """Base of response models read from table rows."""

    model_config = ConfigDict(from_attributes=True)


class IncidentOut(Out):
    """An incident."""

    id: int
    integration_id: uuid.UUID
    source: str
    title: str
    status: str
    severity: str
    priority: str | None
    service: str | None
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    labels: dict[str, str]
    tags: list[str]
    group_key: str
    alert_count: int
    open_alert_count: int
    reopen_count: int
    created_at: datetime
    updated_at: datetime
    last_alert_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class AlertOut(Out):
    """An alert occurrence."""

    id: int
    integration_id: uuid.UUID
    incident_id: int | None
    source: str
    fingerprint: str
    status: str
    severity: str
    summary: str
    description: str
    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[dict[str, str]]
    group_key: str
    starts_at: datetime | None
    ends_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    duplicates: int
    silenced_by: uuid.UUID | None
    source_acknowledged: bool


class AlertDetailOut(AlertOut):
    """An alert with the payload it came from."""

    raw: dict[str, Any]


class TimelineEntryOut(Out):
    """One event of an incident's history."""

    id: int
    at: datetime
    kind: str
    actor: str
    summary: str
    data: dict[str, Any]


class IncidentPage(BaseModel):
    """A page of incidents; pass `next_cursor` as `cursor` for the next one."""

    items: list[IncidentOut]
    next_cursor: str | None


class AlertPage(BaseModel):
    """A page of alerts."""

    items: list[AlertOut]
    next_cursor: str | None


class StatusChange(BaseModel):
    """An optional note with a status change (kept on the timeline and in the audit log)."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=4000)


class Assignment(BaseModel):
    """Who the incident is assigned to; null clears."""

    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


class CommentIn(BaseModel):
    """A comment on an incident."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)


ACTIONS_BY_PATH = {
    "acknowledge": Action.ACKNOWLEDGE,
    "start": Action.START,
    "unacknowledge": Action.UNACKNOWLEDGE,
    "resolve": Action.RESOLVE,
    "reopen": Action.REOPEN,
}
