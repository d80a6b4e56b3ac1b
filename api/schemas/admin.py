"""Integrations, users, teams, silences and the audit log as the API returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.incidents import Out
from incidents.silences import Matcher


class IntegrationOut(Out):
    """An integration (its token is never shown again after creation)."""

    id: uuid.UUID
    name: str
    source: str
    team_id: uuid.UUID | None
    token_hint: str
    grouping: dict[str, Any]
    auto_resolve: bool
    reopen_window_s: int
    enabled: bool
    slack_channel: str | None
    created_at: datetime
    updated_at: datetime


class IntegrationWithToken(BaseModel):
    """A created (or re-keyed) integration with its secret: store it now, it is shown once."""

    integration: IntegrationOut
    token: str
    webhook_path: str
    """POST alerts here (relative to the API's base URL)."""


class RejectionOut(Out):
    """A refused request kept for inspection."""

    id: int
    received_at: datetime
    source: str
    status_code: int
    reason: str
    content_type: str
    body_size: int
    body: str


class UserOut(Out):
    """A user."""

    id: uuid.UUID
    name: str
    email: str
    role: str
    active: bool
    created_at: datetime


class UserWithToken(BaseModel):
    """A created user with its API token: store it now, it is shown once."""

    user: UserOut
    token: str


class TeamOut(Out):
    """A team."""

    id: uuid.UUID
    name: str
    created_at: datetime


class TeamDetailOut(TeamOut):
    """A team with its members."""

    members: list[UserOut]


class SilenceIn(BaseModel):
    """A silence (ad hoc) or maintenance window (planned)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field("silence", pattern="^(silence|maintenance)$")
    integration_id: uuid.UUID | None = None
    matchers: list[Matcher] = Field(default_factory=list)
    starts_at: datetime
    ends_at: datetime
    comment: str = Field("", max_length=4000)

    @model_validator(mode="after")
    def _window(self) -> SilenceIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone (e.g. 2026-11-22T10:00:00Z)")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.integration_id is None and not self.matchers:
            raise ValueError(
                "a silence needs matchers or an integration_id (it would mute everything)"
            )
        return self


class SilenceOut(Out):
    """A silence."""

    id: uuid.UUID
    kind: str
    integration_id: uuid.UUID | None
    matchers: list[dict[str, Any]]
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    created_at: datetime


class AuditOut(Out):
    """One audit entry."""

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    request_id: str | None
