"""What each page shows, read from the database with the same queries the JSON API uses.

Pages only read here; every change a page makes goes through the JSON API from the browser.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from api.schemas.incidents import AlertOut, IncidentOut, TimelineEntryOut
from api.schemas.inventory import ClusterOut, InventoryObjectOut
from api.schemas.triage import TriageRunOut
from api.web.charts import Chart, finding_charts
from incidents import people, queries, triage
from incidents.alerts.schema import Severity
from incidents.lifecycle import Action, allowed_actions
from incidents.models.incident import IncidentStatus
from incidents.models.schedule import ScheduleRow
from incidents.oncall import engine as oncall
from incidents.oncall import store
from inventory import queries as inventory_queries
from inventory.health import Health
from inventory.models import ObjectKind
from memory.models import RunbookInfo

OPEN = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.IN_PROGRESS]
SEVERITIES = [s.value for s in Severity]


def severity_rank(severity: str) -> int:
    """0 for critical up to 3 for info; unknown severities last."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


class Names:
    """Who an actor reference (`user:<id>`, `integration:<id>`, `system`) or user id is."""

    def __init__(self, session: Session) -> None:
        self.users = {str(u.id): u.name for u in people.list_users(session)}

    def actor(self, ref: str | None) -> str:
        """A person's name for `user:<id>`, else the reference itself."""
        if not ref:
            return ""
        kind, _, ident = ref.partition(":")
        return self.users.get(ident, ref) if kind == "user" else ref

    def user(self, user_id: uuid.UUID | str | None) -> str:
        """A user's name from their id."""
        return self.users.get(str(user_id), str(user_id)) if user_id else ""


# ---------------------------------------------------------------- overview


@dataclass(frozen=True)
class OnCallNow:
    """Who is on call on one schedule now."""

    schedule_id: uuid.UUID
    schedule: str
    people: list[str]


@dataclass(frozen=True)
class TriageLine:
    """One recent triage run, with its incident."""

    run: TriageRunOut
    incident: IncidentOut


@dataclass(frozen=True)
class Overview:
    """The overview page."""

    by_severity: dict[str, int]
    open_incidents: list[IncidentOut]
    on_call: list[OnCallNow]
    recent_triage: list[TriageLine]
    names: Names


def on_call_now(session: Session, now: datetime, names: Names) -> list[OnCallNow]:
    """Who is on call now on every schedule."""
    return [
        OnCallNow(
            schedule_id=row.id,
            schedule=row.name,
            people=[names.user(u) for u in store.who_is_on_call(session, row.id, now)],
        )
        for row in store.list_schedules(session)
    ]


def overview(session: Session, now: datetime) -> Overview:
    """Open incidents by severity, who is on call, the newest triage results."""
    names = Names(session)
    f = queries.IncidentFilter(status=[s.value for s in OPEN])
    counts = queries.count_incidents(session, f, queries.GroupBy.SEVERITY)
    page = queries.list_incidents(session, f, limit=200)
    incidents = sorted(
        (IncidentOut.model_validate(i) for i in page.items),
        key=lambda i: (severity_rank(i.severity), -i.id),
    )
    return Overview(
        by_severity={s: counts.get(s, 0) for s in SEVERITIES},
        open_incidents=incidents,
        on_call=on_call_now(session, now, names),
        recent_triage=[
            TriageLine(TriageRunOut.model_validate(r), IncidentOut.model_validate(i))
            for r, i in triage.recent_runs(session, limit=8)
        ],
        names=names,
    )


# ---------------------------------------------------------------- alerts

ALERT_GROUPS = {
    "": "nothing",
    "incident": "incident",
    "alertname": "alert name",
    "severity": "severity",
    "namespace": "namespace",
    "source": "source",
}


@dataclass
class AlertGroup:
    """Alerts that share a value of the grouping field."""

    key: str
    label: str
    alerts: list[AlertOut] = field(default_factory=list)

    @property
    def worst(self) -> str:
        """The most severe severity among the group's alerts."""
        return min((a.severity for a in self.alerts), key=severity_rank)

    @property
    def firing(self) -> int:
        """How many of the group's alerts are firing."""
        return sum(1 for a in self.alerts if a.status == "firing")


@dataclass(frozen=True)
class AlertsView:
    """The alerts page: the filter, the alerts (grouped), and the next page's cursor."""

    filter: queries.AlertFilter
    group: str
    groups: list[AlertGroup]
    count: int
    next_cursor: str | None


def _group_key(alert: AlertOut, group: str) -> tuple[str, str]:
    if group == "incident":
        if alert.incident_id is None:
            return "", "no incident"
        return str(alert.incident_id), f"incident #{alert.incident_id}"
    if group in ("severity", "source"):
        value = str(getattr(alert, group))
        return value, value
    value = alert.labels.get(group, "")
    return value, value or f"no {group}"


def alerts(
    session: Session,
    f: queries.AlertFilter,
    *,
    group: str,
    cursor: str | None,
    limit: int = 200,
) -> AlertsView:
    """A page of alerts matching the filter, grouped by `group` (a key of `ALERT_GROUPS`)."""
    page = queries.list_alerts(session, f, cursor=cursor, limit=limit)
    rows = [AlertOut.model_validate(a) for a in page.items]
    groups: dict[str, AlertGroup] = {}
    for alert in rows:
        key, label = _group_key(alert, group) if group else ("", "")
        groups.setdefault(key, AlertGroup(key=key, label=label)).alerts.append(alert)
    ordered = list(groups.values())
    if group:
        ordered.sort(key=lambda g: (g.firing == 0, severity_rank(g.worst), g.label))
    return AlertsView(
        filter=f, group=group, groups=ordered, count=len(rows), next_cursor=page.next_cursor
    )


# ---------------------------------------------------------------- incident


@dataclass(frozen=True)
class IncidentView:
    """The incident page."""

    incident: IncidentOut
    alerts: list[AlertOut]
    timeline: list[TimelineEntryOut]
    runs: list[TriageRunOut]
    actions: list[Action]
    charts: list[Chart]
    users: list[tuple[uuid.UUID, str]]
    teams: list[tuple[uuid.UUID, str]]
    names: Names

    @property
    def triage(self) -> TriageRunOut | None:
        """The newest triage run."""
        return self.runs[0] if self.runs else None

    @property
    def cited(self) -> dict[str, dict[str, Any]]:
        """The newest run's tool calls by call id (what its evidence cites)."""
        run = self.triage
        return {str(c.get("call_id")): c for c in run.tool_calls} if run else {}


def incident(session: Session, incident_id: int) -> IncidentView:
    """An incident with its alerts, timeline (newest first) and triage runs."""
    names = Names(session)
    row = queries.get_incident(session, incident_id)
    alert_page = queries.list_alerts(
        session, queries.AlertFilter(incident_id=incident_id), limit=500
    )
    runs = [TriageRunOut.model_validate(r) for r in triage.list_runs(session, incident_id)]
    latest = next((r for r in runs if r.report is not None), None)
    timeline = [
        TimelineEntryOut.model_validate(e) for e in queries.incident_timeline(session, incident_id)
    ]
    return IncidentView(
        incident=IncidentOut.model_validate(row),
        alerts=[AlertOut.model_validate(a) for a in alert_page.items],
        timeline=timeline[::-1],
        runs=runs,
        actions=allowed_actions(IncidentStatus(row.status)),
        charts=finding_charts(latest.report, latest.tool_calls) if latest else [],
        users=[(u.id, u.name) for u in people.list_users(session) if u.active],
        teams=[(t.id, t.name) for t in people.list_teams(session)],
        names=names,
    )


# ---------------------------------------------------------------- on-call


@dataclass(frozen=True)
class Segment:
    """A span on a schedule's strip, as percentages of the strip's width."""

    left: float
    width: float
    who: str
    start: datetime
    end: datetime
    source: str
    colour: int
    """Index of the person's colour."""


@dataclass(frozen=True)
class ScheduleView:
    """One schedule: who is on call now, its shifts and gaps over the range."""

    id: uuid.UUID
    name: str
    timezone: str
    now: list[str]
    shifts: list[Segment]
    gaps: list[Segment]
    next_handoff: datetime | None


@dataclass(frozen=True)
class OnCallView:
    """The on-call page."""

    start: datetime
    end: datetime
    days: int
    ticks: list[tuple[float, datetime]]
    schedules: list[ScheduleView]
    now_left: float


def _segment(
    start: datetime,
    end: datetime,
    lo: datetime,
    span: timedelta,
    who: str,
    source: str,
    colour: int,
) -> Segment:
    return Segment(
        left=100 * (start - lo) / span,
        width=100 * (end - start) / span,
        who=who,
        start=start,
        end=end,
        source=source,
        colour=colour,
    )


def _schedule(
    session: Session,
    row: ScheduleRow,
    now: datetime,
    start: datetime,
    end: datetime,
    names: Names,
    colours: dict[str, int],
) -> ScheduleView:
    schedule = store.load(session, row.id, start, end)
    span = end - start
    shifts = []
    for s in oncall.timeline(schedule, start, end):
        colour = colours.setdefault(s.user, len(colours) % 8)
        shifts.append(_segment(s.start, s.end, start, span, names.user(s.user), s.source, colour))
    holes = [
        _segment(a, b, start, span, "nobody", "gap", -1)
        for a, b in oncall.gaps(schedule, start, end)
    ]
    upcoming = [s.start for s in shifts if s.start > now]
    return ScheduleView(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        now=[names.user(u) for u in oncall.on_call(schedule, now)],
        shifts=shifts,
        gaps=holes,
        next_handoff=min(upcoming) if upcoming else None,
    )


def on_call(session: Session, now: datetime, *, days: int) -> OnCallView:
    """Every schedule over `days`, an eighth of them before now (from the hour)."""
    names = Names(session)
    start = (now - timedelta(days=days) / 8).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(days=days)
    colours: dict[str, int] = {}
    schedules = [
        _schedule(session, row, now, start, end, names, colours)
        for row in store.list_schedules(session)
    ]
    step = timedelta(days=1) if days > 1 else timedelta(hours=3)
    first = (
        start.replace(hour=0) + step if days > 1 else start.replace(hour=start.hour // 3 * 3) + step
    )
    ticks = []
    at = first
    while at < end:
        ticks.append((100 * (at - start) / (end - start), at))
        at += step
    return OnCallView(
        start=start,
        end=end,
        days=days,
        ticks=ticks,
        schedules=schedules,
        now_left=100 * (now - start) / (end - start),
    )


# ---------------------------------------------------------------- inventory


def health(obj: InventoryObjectOut) -> str:
    """`bad`, `warn`, `ok` or `gone`: how the object looks at a glance."""
    return "gone" if obj.gone_at is not None else obj.health


@dataclass(frozen=True)
class InventoryView:
    """The inventory page."""

    clusters: list[ClusterOut]
    filter: inventory_queries.ObjectFilter
    objects: list[InventoryObjectOut]
    unhealthy_only: bool
    kinds: list[str]
    next_cursor: str | None


def inventory(
    session: Session,
    f: inventory_queries.ObjectFilter,
    *,
    unhealthy_only: bool,
    cursor: str | None,
    limit: int = 300,
) -> InventoryView:
    """The clusters, and the objects matching the filter (only unhealthy ones if asked)."""
    if unhealthy_only:
        f = f.model_copy(update={"health": [Health.WARN, Health.BAD]})
    page = inventory_queries.list_objects(session, f, cursor=cursor, limit=limit)
    objects = [InventoryObjectOut.model_validate(o) for o in page.items]
    return InventoryView(
        clusters=[ClusterOut.model_validate(c) for c in inventory_queries.list_clusters(session)],
        filter=f,
        objects=objects,
        unhealthy_only=unhealthy_only,
        kinds=[k.value for k in ObjectKind],
        next_cursor=page.next_cursor,
    )


@dataclass(frozen=True)
class RunbookRow:
    """A stored runbook in the runbooks page's list: where it came from (`folder`, `upload`)."""

    info: RunbookInfo
    origin: str
