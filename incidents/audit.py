"""Writing the audit log and incident timelines (inside the caller's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from incidents.models.audit import AuditEntry
from incidents.models.incident import TimelineEntry, TimelineKind

SYSTEM = "system"


def user_actor(user_id: object) -> str:
    """Actor reference of a user."""
    return f"user:{user_id}"


def integration_actor(integration_id: object) -> str:
    """Actor reference of an integration (a sender)."""
    return f"integration:{integration_id}"


def audit(
    session: Session,
    *,
    now: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    request_id: str | None = None,
) -> None:
    """Append one audit entry; it commits with the change it describes."""
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=before,
            after=after,
            reason=reason,
            request_id=request_id,
        )
    )


def timeline(
    session: Session,
    *,
    incident_id: int,
    now: datetime,
    kind: TimelineKind,
    actor: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one entry to an incident's timeline."""
    session.add(
        TimelineEntry(
            incident_id=incident_id,
            at=now,
            kind=kind,
            actor=actor,
            summary=summary,
            data=data or {},
        )
    )


class TimelineBatch:
    """Timeline entries of one transaction, kept in order and written in one statement.

    Ingestion's hot path appends an entry per alert; writing them together is
    several times cheaper than one ORM object each. Call `write()` before any
    other code adds timeline entries, so that ids keep the order of events.
    """

    def __init__(self, session: Session, *, now: datetime, actor: str) -> None:
        """Append entries at `now` by `actor` inside `session`'s transaction."""
        self._session, self._now, self._actor = session, now, actor
        self._rows: list[dict[str, Any]] = []

    def add(
        self,
        incident_id: int,
        kind: TimelineKind,
        summary: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Queue one entry."""
        self._rows.append(
            {
                "incident_id": incident_id,
                "at": self._now,
                "kind": kind.value,
                "actor": self._actor,
                "summary": summary,
                "data": data or {},
            }
        )

    def write(self) -> None:
        """Insert the queued entries (after any pending ORM changes: autoflush)."""
        if self._rows:
            self._session.execute(insert(TimelineEntry), self._rows)
            self._rows = []


def list_audit(
    session: Session,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Audit entries, newest first; page with `before_id` (the last id seen)."""
    stmt = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if target_type is not None:
        stmt = stmt.where(col(AuditEntry.target_type) == target_type)
    if target_id is not None:
        stmt = stmt.where(col(AuditEntry.target_id) == target_id)
    if before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < before_id)
    return list(session.scalars(stmt))
