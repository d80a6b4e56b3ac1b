"""Integrations: create, authenticate by URL token, rotate, and keep rejected requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlmodel import Session, col

from core.errors import Conflict, NotFound
from core.tokens import hash_token, new_token
from incidents.alerts.schema import Source
from incidents.audit import audit
from incidents.grouping import GroupingRule
from incidents.models.integration import Integration, Rejection

TOKEN_PREFIX = "pvi"
REJECTIONS_KEPT = 100
"""Rejected requests kept per integration (the oldest go first)."""
REJECTED_BODY_MAX = 64 * 1024
"""Bytes of a rejected body kept for inspection."""
SLACK_CHANNEL = r"^#?[A-Za-z0-9._-]{1,80}$"
"""A Slack channel id (`C0123ABCD`) or name (`#ops`)."""


class IntegrationCreate(BaseModel):
    """What an admin gives to create an integration."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    source: Source
    team_id: uuid.UUID | None = None
    grouping: GroupingRule = GroupingRule()
    auto_resolve: bool = True
    reopen_window_s: int = Field(0, ge=0, le=7 * 24 * 3600)
    slack_channel: str | None = Field(None, pattern=SLACK_CHANNEL)
    """Slack channel (id, or `#name`) where the Slack bot posts new incidents."""


class IntegrationUpdate(BaseModel):
    """Fields an admin may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    team_id: uuid.UUID | None = None
    grouping: GroupingRule | None = None
    auto_resolve: bool | None = None
    reopen_window_s: int | None = Field(None, ge=0, le=7 * 24 * 3600)
    enabled: bool | None = None
    slack_channel: str | None = Field(None, pattern=SLACK_CHANNEL)
    """Slack channel for new incidents; `null` stops posting them."""


def integration_snapshot(integration: Integration) -> dict[str, Any]:
    """The integration as the audit log records it (never the token hash)."""
    return integration.model_dump(mode="json", exclude={"token_hash"})


def create_integration(
    session: Session, spec: IntegrationCreate, *, now: datetime, actor: str
) -> tuple[Integration, str]:
    """Create an integration; return it and its token (shown only this once)."""
    if session.scalars(select(Integration).where(col(Integration.name) == spec.name)).first():
        raise Conflict(f"an integration named {spec.name!r} already exists")
    token = new_token(TOKEN_PREFIX)
    integration = Integration(
        name=spec.name,
        source=spec.source.value,
        team_id=spec.team_id,
        token_hash=hash_token(token),
        token_hint=token[:8],
        grouping=spec.grouping.model_dump(mode="json"),
        auto_resolve=spec.auto_resolve,
        reopen_window_s=spec.reopen_window_s,
        slack_channel=spec.slack_channel,
        created_at=now,
        updated_at=now,
    )
    session.add(integration)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="integration.create",
        target_type="integration",
        target_id=integration.id,
        after=integration_snapshot(integration),
    )
    return integration, token


def update_integration(
    session: Session,
    integration_id: uuid.UUID,
    change: IntegrationUpdate,
    *,
    now: datetime,
    actor: str,
) -> Integration:
    """Apply the given fields."""
    integration = get_integration(session, integration_id)
    before = integration_snapshot(integration)
    for name, value in change.model_dump(exclude_unset=True).items():
        setattr(integration, name, value)
    integration.updated_at = now
    audit(
        session,
        now=now,
        actor=actor,
        action="integration.update",
        target_type="integration",
        target_id=integration.id,
        before=before,
        after=integration_snapshot(integration),
    )
    return integration


def rotate_token(
    session: Session, integration_id: uuid.UUID, *, now: datetime, actor: str
) -> tuple[Integration, str]:
    """Replace the token; the old URL stops working at once."""
    integration = get_integration(session, integration_id)
    token = new_token(TOKEN_PREFIX)
    integration.token_hash = hash_token(token)
    integration.token_hint = token[:8]
    integration.updated_at = now
    audit(
        session,
        now=now,
        actor=actor,
        action="integration.rotate_token",
        target_type="integration",
        target_id=integration.id,
    )
    return integration, token


def get_integration(session: Session, integration_id: uuid.UUID) -> Integration:
    """The integration, or NotFound."""
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise NotFound(f"integration {integration_id} does not exist")
    return integration


def list_integrations(session: Session) -> list[Integration]:
    """Every integration, by name."""
    return list(session.scalars(select(Integration).order_by(col(Integration.name))))


def authenticate(session: Session, token: str) -> Integration:
    """The enabled integration this URL token belongs to.

    Raises:
        NotFound: unknown token or disabled integration (the same answer, so a
            caller cannot probe which tokens exist).
    """
    integration = session.scalars(
        select(Integration).where(col(Integration.token_hash) == hash_token(token))
    ).first()
    if integration is None or not integration.enabled:
        raise NotFound("no enabled integration has this token")
    return integration


def record_rejection(
    session: Session,
    *,
    integration_id: uuid.UUID,
    now: datetime,
    source: str,
    status_code: int,
    reason: str,
    content_type: str,
    body: bytes,
) -> None:
    """Keep a refused request's body (bounded) and drop the oldest beyond the limit."""
    session.add(
        Rejection(
            integration_id=integration_id,
            received_at=now,
            source=source,
            status_code=status_code,
            reason=reason[:4000],
            content_type=content_type[:200],
            body_size=len(body),
            body=body[:REJECTED_BODY_MAX].decode("utf-8", errors="replace"),
        )
    )
    session.flush()
    keep = (
        select(col(Rejection.id))
        .where(col(Rejection.integration_id) == integration_id)
        .order_by(col(Rejection.id).desc())
        .limit(REJECTIONS_KEPT)
    )
    session.execute(
        delete(Rejection).where(
            col(Rejection.integration_id) == integration_id,
            col(Rejection.id).not_in(keep.scalar_subquery()),
        )
    )


def list_rejections(session: Session, integration_id: uuid.UUID) -> list[Rejection]:
    """The kept rejected requests of an integration, newest first."""
    get_integration(session, integration_id)
    return list(
        session.scalars(
            select(Rejection)
            .where(col(Rejection.integration_id) == integration_id)
            .order_by(col(Rejection.id).desc())
        )
    )
