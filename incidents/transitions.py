"""Applying a status change to an incident: the fields it sets and its timeline entry.

One place for every caller (people through the API and Slack, senders during
ingestion, the escalation engine), so a resolution always frees the grouping key,
an acknowledgement always records who and when, and the incident's Slack message
(when it has one) is refreshed. The rules themselves are in
`lifecycle.py`; the escalation side effects stay with the callers.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.jobs.queue import enqueue
from incidents import slack_posts
from incidents.audit import timeline
from incidents.lifecycle import Action, transition
from incidents.models.incident import Incident, IncidentStatus, TimelineKind

REMEMBER_JOB = "incident.remember"
"""Queued when an incident resolves: store it in the memory as a past incident."""


def apply_transition(
    session: Session,
    incident: Incident,
    action: Action,
    *,
    now: datetime,
    actor: str,
    note: str | None = None,
    summary: str | None = None,
) -> IncidentStatus:
    """Move the incident's status (Conflict when the rules refuse); return the old status."""
    assert incident.id is not None
    old = IncidentStatus(incident.status)
    new = transition(old, action)
    incident.status = new
    incident.updated_at = now
    if action in (Action.ACKNOWLEDGE, Action.START) and incident.acknowledged_at is None:
        incident.acknowledged_at, incident.acknowledged_by = now, actor
    elif action == Action.UNACKNOWLEDGE:
        incident.acknowledged_at = incident.acknowledged_by = None
    elif action == Action.RESOLVE:
        incident.resolved_at, incident.resolved_by = now, actor
        incident.resolution_note = note
        incident.open_group_key = None  # new alerts of the group open a new incident
        enqueue(
            session,
            kind=REMEMBER_JOB,
            now=now,
            payload={"incident_id": incident.id},
            dedup_key=f"remember:{incident.id}:{incident.reopen_count}",
            max_attempts=3,
        )
    elif action == Action.REOPEN:
        incident.resolved_at = incident.resolved_by = None
        incident.acknowledged_at = incident.acknowledged_by = None
        incident.reopen_count += 1
        incident.open_group_key = incident.group_key
    timeline(
        session,
        incident_id=incident.id,
        now=now,
        actor=actor,
        kind=TimelineKind.REOPENED if action == Action.REOPEN else TimelineKind.STATUS_CHANGED,
        summary=summary or f"{old.value} → {new.value}" + (f": {note}" if note else ""),
        data={"from": old.value, "to": new.value, "note": note},
    )
    slack_posts.status_changed(session, incident.id, now=now)
    return old
