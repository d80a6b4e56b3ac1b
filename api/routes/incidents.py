"""Incidents and alerts: list, read, and act."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Now, Sessions, label_filters
from api.schemas.incidents import (
    ACTIONS_BY_PATH,
    AlertDetailOut,
    AlertOut,
    AlertPage,
    Assignment,
    CommentIn,
    IncidentOut,
    IncidentPage,
    StatusChange,
    TimelineEntryOut,
)
from core.errors import NotFound
from incidents import queries, service
from incidents.models.alert import Alert
from incidents.models.people import Role
from incidents.service import IncidentUpdate

router = APIRouter(prefix="/api/v1", tags=["incidents"])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
Labels = Annotated[list[str], Query(description="`name=value`, repeatable; all must match.")]


@router.get("/incidents", response_model=IncidentPage)
def list_incidents(
    sessions: Sessions,
    caller: CurrentCaller,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    severity: Annotated[list[str], Query()] = [],  # noqa: B006
    source: Annotated[list[str], Query()] = [],  # noqa: B006
    service_name: Annotated[str | None, Query(alias="service")] = None,
    team_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    integration_id: uuid.UUID | None = None,
    tag: str | None = None,
    label: Labels = [],  # noqa: B006
    since: datetime | None = None,
    until: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title.")] = None,
    order: queries.SortOrder = queries.SortOrder.NEWEST,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> IncidentPage:
    """Incidents matching every given filter, newest first by default."""
    del caller
    f = queries.IncidentFilter(
        status=status,
        severity=severity,
        source=source,
        service=service_name,
        team_id=team_id,
        assignee_id=assignee_id,
        integration_id=integration_id,
        tag=tag,
        labels=label_filters(label),
        since=since,
        until=until,
        q=q,
    )
    with sessions() as session:
        page = queries.list_incidents(session, f, order=order, cursor=cursor, limit=limit)
        return IncidentPage(
            items=[IncidentOut.model_validate(i) for i in page.items], next_cursor=page.next_cursor
        )


@router.get("/incidents/counts", response_model=dict[str, int])
def count_incidents(
    sessions: Sessions,
    caller: CurrentCaller,
    by: queries.GroupBy,
    label_name: Annotated[str | None, Query(description="With by=label: the label.")] = None,
    status: Annotated[list[str], Query()] = [],  # noqa: B006
    severity: Annotated[list[str], Query()] = [],  # noqa: B006
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """How many incidents match, per value of `by`.

    `by`: status, severity, source, service, team_id, assignee_id, tag, or label
    (the label named by `label_name`).
    """
    del caller
    f = queries.IncidentFilter(status=status, severity=severity, since=since, until=until)
    with sessions() as session:
        return queries.count_incidents(session, f, by, label_name=label_name)


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(incident_id: int, sessions: Sessions, caller: CurrentCaller) -> IncidentOut:
    """One incident."""
    del caller
    with sessions() as session:
        return IncidentOut.model_validate(queries.get_incident(session, incident_id))


@router.get("/incidents/{incident_id}/timeline", response_model=list[TimelineEntryOut])
def get_timeline(
    incident_id: int, sessions: Sessions, caller: CurrentCaller
) -> list[TimelineEntryOut]:
    """Everything that happened to the incident, oldest first."""
    del caller
    with sessions() as session:
        return [
            TimelineEntryOut.model_validate(e)
            for e in queries.incident_timeline(session, incident_id)
        ]


@router.get("/incidents/{incident_id}/alerts", response_model=list[AlertOut])
def get_incident_alerts(
    incident_id: int, sessions: Sessions, caller: CurrentCaller
) -> list[AlertOut]:
    """The incident's alerts, most recently seen first."""
    del caller
    with sessions() as session:
        queries.get_incident(session, incident_id)
        page = queries.list_alerts(session, queries.AlertFilter(incident_id=incident_id), limit=500)
        return [AlertOut.model_validate(a) for a in page.items]


@router.put("/incidents/{incident_id}/assignment", response_model=IncidentOut)
def assign(
    incident_id: int, assignment: Assignment, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> IncidentOut:
    """Assign to a user and/or team."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        incident = service.assign(
            session,
            incident_id,
            user_id=assignment.user_id,
            team_id=assignment.team_id,
            now=clock.now(),
            actor=caller.actor,
            request_id=caller.request_id,
        )
        session.commit()
        return IncidentOut.model_validate(incident)


@router.post("/incidents/{incident_id}/comments", response_model=IncidentOut, status_code=201)
def add_comment(
    incident_id: int, comment: CommentIn, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> IncidentOut:
    """Comment on the incident's timeline."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        incident = service.comment(
            session,
            incident_id,
            comment.body,
            now=clock.now(),
            actor=caller.actor,
            request_id=caller.request_id,
        )
        session.commit()
        return IncidentOut.model_validate(incident)


@router.patch("/incidents/{incident_id}", response_model=IncidentOut)
def update_incident(
    incident_id: int, change: IncidentUpdate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> IncidentOut:
    """Change title, severity, priority or tags."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        incident = service.update_fields(
            session,
            incident_id,
            change,
            now=clock.now(),
            actor=caller.actor,
            request_id=caller.request_id,
        )
        session.commit()
        return IncidentOut.model_validate(incident)


@router.get("/alerts", response_model=AlertPage, tags=["alerts"])
def list_alerts(
    sessions: Sessions,
    caller: CurrentCaller,
    status: Annotated[list[str], Query()] = [],  # noqa: B006
    severity: Annotated[list[str], Query()] = [],  # noqa: B006
    source: Annotated[list[str], Query()] = [],  # noqa: B006
    integration_id: uuid.UUID | None = None,
    incident_id: int | None = None,
    fingerprint: str | None = None,
    label: Labels = [],  # noqa: B006
    since: datetime | None = None,
    until: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    order: queries.SortOrder = queries.SortOrder.NEWEST,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> AlertPage:
    """Alerts matching every given filter, most recently seen first by default."""
    del caller
    f = queries.AlertFilter(
        status=status,
        severity=severity,
        source=source,
        integration_id=integration_id,
        incident_id=incident_id,
        fingerprint=fingerprint,
        labels=label_filters(label),
        since=since,
        until=until,
        q=q,
    )
    with sessions() as session:
        page = queries.list_alerts(session, f, order=order, cursor=cursor, limit=limit)
        return AlertPage(
            items=[AlertOut.model_validate(a) for a in page.items], next_cursor=page.next_cursor
        )


@router.get("/alerts/{alert_id}", response_model=AlertDetailOut, tags=["alerts"])
def get_alert(alert_id: int, sessions: Sessions, caller: CurrentCaller) -> AlertDetailOut:
    """One alert with the raw payload it came from."""
    del caller
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"alert {alert_id} does not exist")
        return AlertDetailOut.model_validate(alert)


# Registered last: the `{action}` segment would otherwise shadow `/comments`.
@router.post("/incidents/{incident_id}/{action}", response_model=IncidentOut)
def change_status(
    incident_id: int,
    action: str,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    change: StatusChange | None = None,
) -> IncidentOut:
    """Act on the status: `acknowledge`, `start`, `unacknowledge`, `resolve`, `reopen`.

    409 with the reason when the incident's status does not allow it.
    """
    if action not in ACTIONS_BY_PATH:
        raise NotFound(
            f"unknown incident action {action!r}; use one of {', '.join(ACTIONS_BY_PATH)}"
        )
    caller.require(Role.RESPONDER)
    with sessions() as session:
        incident = service.change_status(
            session,
            incident_id,
            ACTIONS_BY_PATH[action],
            now=clock.now(),
            actor=caller.actor,
            note=change.note if change else None,
            request_id=caller.request_id,
        )
        session.commit()
        return IncidentOut.model_validate(incident)
