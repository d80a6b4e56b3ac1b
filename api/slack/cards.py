"""What the bot's messages show, read from the database: an incident, a triage run.

Reading is kept apart from rendering (`blocks.py`) so that the blocks are pure functions of
these plain values, tested without a database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.errors import NotFound
from incidents.models.incident import Incident
from incidents.models.integration import Integration
from incidents.models.people import User
from incidents.models.triage import TriageRun
from incidents.queries import get_incident
from incidents.triage import get_run
from incidents.triage_report import TriageReport


@dataclass(frozen=True, kw_only=True)
class IncidentCard:
    """An incident as its Slack message shows it."""

    id: int
    title: str
    severity: str
    status: str
    service: str | None
    integration: str
    opened_at: datetime
    acknowledged_by: str | None
    resolved_by: str | None
    url: str | None
    """The incident in PixelView (`notify.public_url`), or None."""


@dataclass(frozen=True, kw_only=True)
class TriageCard:
    """A triage run that ended, as its Slack reply shows it."""

    run_id: int
    incident_id: int
    requested_by: str
    report: TriageReport | None
    """The report of a run that succeeded."""
    error: str | None
    """Why a run failed."""
    base_url: str | None
    """Where the report's links (runbooks, similar incidents) are served."""


def incident_url(public_url: str | None, incident_id: int) -> str | None:
    """The incident's address in PixelView's API, or None without a public URL."""
    return f"{public_url.rstrip('/')}/api/v1/incidents/{incident_id}" if public_url else None


def actor_name(session: Session, actor: str | None) -> str | None:
    """A timeline actor as a person reads it: a user's name, the sender's name, or PixelView."""
    if actor is None:
        return None
    kind, _, ref = actor.partition(":")
    try:
        if kind == "user":
            user = session.get(User, uuid.UUID(ref))
            return user.name if user is not None else actor
        if kind == "integration":
            integration = session.get(Integration, uuid.UUID(ref))
            return f"{integration.name} (the sender)" if integration is not None else actor
    except ValueError:  # not a UUID: show the reference as it is
        return actor
    return "PixelView" if actor in ("system", "triage") else actor


def incident_card(session: Session, incident_id: int, public_url: str | None) -> IncidentCard:
    """The incident's card (NotFound when it does not exist)."""
    incident: Incident = get_incident(session, incident_id)
    integration = session.get(Integration, incident.integration_id)
    assert incident.id is not None
    return IncidentCard(
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        service=incident.service,
        integration=integration.name if integration is not None else incident.source,
        opened_at=incident.created_at,
        acknowledged_by=actor_name(session, incident.acknowledged_by),
        resolved_by=actor_name(session, incident.resolved_by),
        url=incident_url(public_url, incident.id),
    )


def triage_card(session: Session, run_id: int, public_url: str | None) -> TriageCard:
    """A run's card (NotFound when the run does not exist or has not ended)."""
    run: TriageRun = get_run(session, run_id)
    if run.finished_at is None:
        raise NotFound(f"triage run {run_id} has not ended")
    assert run.id is not None
    return TriageCard(
        run_id=run.id,
        incident_id=run.incident_id,
        requested_by=actor_name(session, run.requested_by) or run.requested_by,
        report=TriageReport.model_validate(run.report) if run.report is not None else None,
        error=run.error,
        base_url=public_url.rstrip("/") if public_url else None,
    )
