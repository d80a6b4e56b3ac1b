"""Creating, listing and expiring silences and maintenance windows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, NotFound
from incidents.audit import audit
from incidents.integrations import get_integration
from incidents.models.silence import Silence
from incidents.silences import Matcher


def create_silence(
    session: Session,
    *,
    kind: str,
    integration_id: uuid.UUID | None,
    matchers: list[Matcher],
    window: tuple[datetime, datetime],
    comment: str,
    now: datetime,
    actor: str,
) -> Silence:
    """Create a silence; alerts matching it are stored but open no incident."""
    if integration_id is not None:
        get_integration(session, integration_id)
    silence = Silence(
        kind=kind,
        integration_id=integration_id,
        matchers=[m.model_dump() for m in matchers],
        starts_at=window[0],
        ends_at=window[1],
        comment=comment,
        created_by=actor,
        created_at=now,
    )
    session.add(silence)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="silence.create",
        target_type="silence",
        target_id=silence.id,
        after=_snapshot(silence),
    )
    return silence


def list_silences(session: Session, *, active_at: datetime | None = None) -> list[Silence]:
    """Silences, newest first; only those active at `active_at` when given."""
    stmt = select(Silence).order_by(col(Silence.created_at).desc())
    if active_at is not None:
        stmt = stmt.where(col(Silence.starts_at) <= active_at, col(Silence.ends_at) > active_at)
    return list(session.scalars(stmt))


def expire_silence(
    session: Session, silence_id: uuid.UUID, *, now: datetime, actor: str
) -> Silence:
    """End a silence now (it is kept, for the record)."""
    silence = session.get(Silence, silence_id, with_for_update=True)
    if silence is None:
        raise NotFound(f"silence {silence_id} does not exist")
    if silence.ends_at <= now:
        raise Conflict(f"silence {silence_id} already ended at {silence.ends_at.isoformat()}")
    before = _snapshot(silence)
    silence.ends_at = max(now, silence.starts_at)
    audit(
        session,
        now=now,
        actor=actor,
        action="silence.expire",
        target_type="silence",
        target_id=silence.id,
        before=before,
        after=_snapshot(silence),
    )
    return silence


def _snapshot(silence: Silence) -> dict[str, Any]:
    return silence.model_dump(mode="json")
