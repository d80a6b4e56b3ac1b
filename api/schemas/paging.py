"""Escalation, on-call and notification resources as the API returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from api.schemas.incidents import Out


class PolicyOut(Out):
    """An escalation policy."""

    id: uuid.UUID
    name: str
    spec: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class RoutingRuleOut(Out):
    """A routing rule."""

    id: uuid.UUID
    position: int
    name: str
    integration_id: uuid.UUID | None
    service: str | None
    severities: list[str]
    matchers: list[dict[str, Any]]
    policy_id: uuid.UUID


class ScheduleOut(Out):
    """A schedule."""

    id: uuid.UUID
    name: str
    timezone: str
    layers: list[dict[str, Any]]
    team_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class OverrideOut(Out):
    """An override."""

    id: uuid.UUID
    schedule_id: uuid.UUID
    user_id: uuid.UUID
    start: datetime
    end: datetime
    created_by: str


class TimeOffOut(Out):
    """A person's time off."""

    id: uuid.UUID
    user_id: uuid.UUID
    start: datetime
    end: datetime
    reason: str


class OnCallOut(BaseModel):
    """Who is on call on a schedule at an instant."""

    schedule_id: uuid.UUID
    at: datetime
    user_ids: list[uuid.UUID]


class ShiftOut(BaseModel):
    """A span of the resolved timeline."""

    user_id: uuid.UUID
    start: datetime
    end: datetime
    source: str
    layer: str | None


class GapOut(BaseModel):
    """A span with nobody on call."""

    start: datetime
    end: datetime


class ChannelOut(Out):
    """A notification channel (its secret is never shown)."""

    id: uuid.UUID
    name: str
    kind: str
    address: str
    has_secret: bool
    created_at: datetime


class ContactOut(Out):
    """A contact method."""

    id: uuid.UUID
    kind: str
    address: str


class RuleOut(Out):
    """A notification rule."""

    id: uuid.UUID
    contact_method_id: uuid.UUID
    delay_minutes: int


class ContactsOut(BaseModel):
    """A person's contact methods and notification rules."""

    contact_methods: list[ContactOut]
    rules: list[RuleOut]


class DeliveryOut(Out):
    """One delivery of the outbox."""

    id: int
    incident_id: int | None
    user_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    kind: str
    address: str
    event: str
    reason: str
    status: str
    attempts: int
    send_after: datetime
    last_error: str | None
    sent_at: datetime | None


class EscalationOut(Out):
    """Where an incident's escalation stands, and the policy it snapshotted."""

    incident_id: int
    policy_id: uuid.UUID | None
    policy_version: int
    snapshot: dict[str, Any]
    status: str
    step_index: int
    loops: int
    epoch: int
    next_step_at: datetime | None
