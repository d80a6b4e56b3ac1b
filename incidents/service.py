"""What people (and agents) do to incidents: status, assignment, comments, fields.

Each function runs inside the caller's transaction, locks the incident row,
checks the rule, records a timeline entry and an audit entry, and leaves the
commit to the caller (the API's unit of work).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, NotFound
from incidents.alerts.schema import Severity
from incidents.audit import audit, timeline
from incidents.escalation import service as escalation
from incidents.lifecycle import Action
from incidents.models.incident import Incident, TimelineKind
from incidents.people import get_team, get_user
from incidents.transitions import apply_transition

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


class IncidentUpdate(BaseModel):
    """Fields a person may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=1024)
    severity: Severity | None = None
    priority: str | None = Field(None, description="P1 (highest) to P5.")
    tags: list[str] | None = Field(None, max_length=50)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str | None) -> str | None:
        if value is not None and value not in PRIORITIES:
            raise ValueError(f"must be one of {', '.join(PRIORITIES)}")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = sorted({tag.strip().lower() for tag in value if tag.strip()})
        if any(len(tag) > 64 for tag in cleaned):
            raise ValueError("a tag has at most 64 characters")
        return cleaned


def snapshot(incident: Incident) -> dict[str, Any]:
    """The incident as the audit log records it."""
    return incident.model_dump(
        mode="json",
        include={
            "status",
            "severity",
            "priority",
            "title",
            "tags",
            "assignee_id",
            "team_id",
            "acknowledged_by",
            "resolved_by",
            "resolution_note",
        },
    )


def lock_incident(session: Session, incident_id: int) -> Incident:
    """The incident, locked for update, or NotFound."""
    incident = session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return incident


def change_status(
    session: Session,
    incident_id: int,
    action: Action,
    *,
    now: datetime,
    actor: str,
    note: str | None = None,
    request_id: str | None = None,
) -> Incident:
    """Acknowledge, start, unacknowledge, resolve or reopen (Conflict when not allowed)."""
    incident = lock_incident(session, incident_id)
    before = snapshot(incident)
    if action == Action.REOPEN:
        newer = session.scalars(
            select(Incident).where(
                col(Incident.integration_id) == incident.integration_id,
                col(Incident.open_group_key) == incident.group_key,
            )
        ).first()
        if newer is not None:
            raise Conflict(
                f"cannot reopen incident {incident_id}: "
                f"incident {newer.id} of the same group is open"
            )
    apply_transition(session, incident, action, now=now, actor=actor, note=note)
    escalation.on_status_change(session, incident, action, now)
    audit(
        session,
        now=now,
        actor=actor,
        action=f"incident.{action.value}",
        target_type="incident",
        target_id=incident_id,
        before=before,
        after=snapshot(incident),
        reason=note,
        request_id=request_id,
    )
    return incident


def assign(
    session: Session,
    incident_id: int,
    *,
    user_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    now: datetime,
    actor: str,
    request_id: str | None = None,
) -> Incident:
    """Assign to a user and/or a team (None clears)."""
    incident = lock_incident(session, incident_id)
    before = snapshot(incident)
    names = []
    if user_id is not None:
        names.append(f"user {get_user(session, user_id).name}")
    if team_id is not None:
        names.append(f"team {get_team(session, team_id).name}")
    incident.assignee_id, incident.team_id = user_id, team_id
    incident.updated_at = now
    timeline(
        session,
        incident_id=incident_id,
        now=now,
        actor=actor,
        kind=TimelineKind.ASSIGNED,
        summary="assigned to " + (" and ".join(names) or "nobody"),
        data={
            "user_id": str(user_id) if user_id else None,
            "team_id": str(team_id) if team_id else None,
        },
    )
    audit(
        session,
        now=now,
        actor=actor,
        action="incident.assign",
        target_type="incident",
        target_id=incident_id,
        before=before,
        after=snapshot(incident),
        request_id=request_id,
    )
    return incident


def comment(
    session: Session,
    incident_id: int,
    body: str,
    *,
    now: datetime,
    actor: str,
    request_id: str | None = None,
) -> Incident:
    """Add a comment to the timeline."""
    incident = lock_incident(session, incident_id)
    incident.updated_at = now
    timeline(
        session,
        incident_id=incident_id,
        now=now,
        actor=actor,
        kind=TimelineKind.COMMENT,
        summary=body,
        data={},
    )
    audit(
        session,
        now=now,
        actor=actor,
        action="incident.comment",
        target_type="incident",
        target_id=incident_id,
        after={"comment": body},
        request_id=request_id,
    )
    return incident


def update_fields(
    session: Session,
    incident_id: int,
    change: IncidentUpdate,
    *,
    now: datetime,
    actor: str,
    request_id: str | None = None,
) -> Incident:
    """Change title, severity (then pinned against alerts), priority or tags."""
    incident = lock_incident(session, incident_id)
    before = snapshot(incident)
    for name, value in change.model_dump(exclude_unset=True, mode="json").items():
        if value is None or getattr(incident, name) == value:
            continue
        timeline(
            session,
            incident_id=incident_id,
            now=now,
            actor=actor,
            kind=TimelineKind.FIELD_CHANGED,
            summary=f"{name} changed",
            data={"field": name, "from": getattr(incident, name), "to": value},
        )
        setattr(incident, name, value)
        if name == "severity":
            incident.severity_pinned = True
    incident.updated_at = now
    audit(
        session,
        now=now,
        actor=actor,
        action="incident.update",
        target_type="incident",
        target_id=incident_id,
        before=before,
        after=snapshot(incident),
        request_id=request_id,
    )
    return incident
