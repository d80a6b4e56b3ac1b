"""Read tools over PixelView's incidents: the incident, its timeline, its alerts, similar ones.

Titles, alert summaries, descriptions, labels and timeline text come from alert senders and
people: every result that shows them is marked untrusted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from incidents.models.alert import Alert
from incidents.models.incident import Incident, TimelineEntry
from tools.context import ToolDeps
from tools.decorators import Domain, ReadTool, ToolArgs, read_tool
from tools.formatting import View, when
from tools.result import ToolResult

DESCRIPTION_CHARS = 500
"""Characters of an alert's description shown; longer ones end with a `[cut]` mark."""


class IncidentArgs(ToolArgs):
    """Which incident."""

    incident_id: int = Field(ge=1, description="The incident's number.")

    def target(self) -> str:
        """`incident <id>`."""
        return f"incident {self.incident_id}"


class IncidentLine(View):
    """An incident in a listing."""

    id: int
    title: str
    status: str
    severity: str
    service: str | None = None
    opened: str | None = None
    resolved: str | None = None
    resolution_note: str | None = None


class IncidentView(IncidentLine):
    """An incident: state, who acted, its labels and alert counts."""

    priority: str | None = None
    source: str
    labels: dict[str, str] | None = None
    tags: list[str] | None = None
    alerts: str
    """`<open> open of <total>`."""
    last_alert: str | None = None
    acknowledged: str | None = None
    reopened: int | None = None


def _line_fields(i: Incident, now: datetime) -> dict[str, Any]:
    assert i.id is not None  # a row read from the database
    resolved = when(i.resolved_at, now)
    return {
        "id": i.id,
        "title": i.title,
        "status": i.status,
        "severity": i.severity,
        "service": i.service,
        "opened": when(i.created_at, now),
        "resolved": f"{resolved} by {i.resolved_by}" if resolved and i.resolved_by else resolved,
        "resolution_note": i.resolution_note,
    }


def incident_line(i: Incident, now: datetime) -> IncidentLine:
    """The incident in a listing."""
    return IncidentLine(**_line_fields(i, now))


def incident_view(i: Incident, now: datetime) -> IncidentView:
    """The incident as a model needs it."""
    acknowledged = when(i.acknowledged_at, now)
    if acknowledged and i.acknowledged_by:
        acknowledged += f" by {i.acknowledged_by}"
    return IncidentView(
        **_line_fields(i, now),
        priority=i.priority,
        source=i.source,
        labels=dict(i.labels) or None,
        tags=list(i.tags) or None,
        alerts=f"{i.open_alert_count} open of {i.alert_count}",
        last_alert=when(i.last_alert_at, now),
        acknowledged=acknowledged,
        reopened=i.reopen_count or None,
    )


@read_tool(args=IncidentArgs, domain=Domain.INCIDENTS)
async def incident_get(args: IncidentArgs, deps: ToolDeps) -> ToolResult[IncidentView]:
    """One incident: title, status, severity, service, labels, alert counts, who acted when."""
    incident = await deps.incidents.get(args.incident_id)
    return ToolResult.ok(incident_view(incident, deps.clock.now()), untrusted=True)


class TimelineArgs(IncidentArgs):
    """How much of an incident's timeline."""

    last: int = Field(50, ge=1, le=500, description="Only the newest this many entries.")


class TimelineLine(View):
    """One entry of a timeline."""

    at: str | None
    kind: str
    actor: str
    summary: str


def _entry(e: TimelineEntry, now: datetime) -> TimelineLine:
    return TimelineLine(at=when(e.at, now), kind=e.kind, actor=e.actor, summary=e.summary)


@read_tool(args=TimelineArgs, domain=Domain.INCIDENTS, keep="tail", narrow="lower last")
async def incident_timeline(args: TimelineArgs, deps: ToolDeps) -> ToolResult[list[TimelineLine]]:
    """An incident's history, oldest first: alerts added and resolved, status changes, comments."""
    entries = await deps.incidents.timeline(args.incident_id, last=args.last)
    now = deps.clock.now()
    return ToolResult.listing(
        [_entry(e, now) for e in entries],
        empty=f"incident {args.incident_id} has no timeline entries",
        untrusted=True,
    )


class AlertsArgs(IncidentArgs):
    """How many of an incident's alerts."""

    limit: int = Field(20, ge=1, le=200, description="At most this many, most recent first.")


class AlertLine(View):
    """An alert of an incident."""

    id: int
    status: str
    severity: str
    summary: str
    description: str | None = None
    labels: dict[str, str] | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    resolved: str | None = None
    duplicates: int | None = None


def _description(text: str) -> str | None:
    if len(text) <= DESCRIPTION_CHARS:
        return text or None
    return text[:DESCRIPTION_CHARS] + f" [cut: {len(text) - DESCRIPTION_CHARS} more characters]"


def _alert(a: Alert, now: datetime) -> AlertLine:
    assert a.id is not None  # a row read from the database
    return AlertLine(
        id=a.id,
        status=a.status,
        severity=a.severity,
        summary=a.summary,
        description=_description(a.description),
        labels=dict(a.labels) or None,
        first_seen=when(a.first_seen, now),
        last_seen=when(a.last_seen, now),
        resolved=when(a.resolved_at, now),
        duplicates=a.duplicates or None,
    )


@read_tool(args=AlertsArgs, domain=Domain.INCIDENTS, narrow="lower limit")
async def incident_alerts(args: AlertsArgs, deps: ToolDeps) -> ToolResult[list[AlertLine]]:
    """The alerts grouped into an incident: summary, description, labels, firing or resolved."""
    alerts = await deps.incidents.alerts(args.incident_id, limit=args.limit)
    now = deps.clock.now()
    return ToolResult.listing(
        [_alert(a, now) for a in alerts],
        empty=f"incident {args.incident_id} has no alerts attached",
        untrusted=True,
    )


class RelatedArgs(IncidentArgs):
    """Which earlier incidents count as related."""

    days: int = Field(30, ge=1, le=365, description="Look back this many days.")
    same_labels: list[str] = Field(
        default_factory=list,
        description="Label names whose values must equal this incident's (such as alertname, "
        "namespace); leave empty to match on the service, or on alertname without one.",
    )
    limit: int = Field(10, ge=1, le=50, description="At most this many, newest first.")


def _match(incident: Incident, names: list[str]) -> tuple[str | None, dict[str, str]] | str:
    """The service and labels to match, or why there is nothing to match on."""
    if names:
        missing = [n for n in names if n not in incident.labels]
        if missing:
            return f"incident {incident.id} has no label {', '.join(missing)}"
        return None, {n: incident.labels[n] for n in names}
    if incident.service:
        return incident.service, {}
    if "alertname" in incident.labels:
        return None, {"alertname": incident.labels["alertname"]}
    return f"incident {incident.id} has no service or alertname to compare on; name labels"


@read_tool(args=RelatedArgs, domain=Domain.INCIDENTS)
async def incidents_related(args: RelatedArgs, deps: ToolDeps) -> ToolResult[list[IncidentLine]]:
    """Other recent incidents on the same service (or labels): is this new, or does it recur?"""
    incident = await deps.incidents.get(args.incident_id)
    match = _match(incident, args.same_labels)
    if isinstance(match, str):
        return ToolResult.no_data(match)
    service, labels = match
    now = deps.clock.now()
    found = await deps.incidents.recent(
        service=service,
        labels=labels,
        since=now - timedelta(days=args.days),
        excluding=args.incident_id,
        limit=args.limit,
    )
    on = ", ".join([f"service={service}"] if service else [f"{k}={v}" for k, v in labels.items()])
    if not found:
        return ToolResult.no_data(f"no other incident with {on} in the last {args.days} days")
    return ToolResult.ok(
        [incident_line(i, now) for i in found],
        message=f"{len(found)} other incidents with {on} in the last {args.days} days",
        untrusted=True,
    )


TOOLS: tuple[ReadTool[Any, Any], ...] = (
    incident_get,
    incident_timeline,
    incident_alerts,
    incidents_related,
)
"""Every incident read tool."""
