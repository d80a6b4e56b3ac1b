"""Read-only access to incidents for agents and their tools: no session leaves this module.

Each call opens a short session in a worker thread (the database drivers block), reads, and
returns detached rows whose columns are all loaded; nothing is ever written or committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from core.db.engine import SessionFactory
from incidents import queries
from incidents.alerts.schema import Severity
from incidents.models.alert import Alert
from incidents.models.incident import Incident, IncidentStatus, TimelineEntry
from incidents.models.people import User
from incidents.models.triage import TriageRun
from incidents.oncall import store as oncall

OPEN = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.IN_PROGRESS]
"""The statuses of an incident that is not resolved."""

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class OnCall:
    """Who is on call on one schedule at an instant (nobody: a gap)."""

    schedule: str
    people: list[User]


class IncidentReader:
    """Incidents, their timelines and alerts, read from PixelView's database."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def _read(self, read: Callable[[Session], T]) -> T:
        def in_session() -> T:
            with self._sessions() as session:
                return read(session)

        return await asyncio.to_thread(in_session)

    async def get(self, incident_id: int) -> Incident:
        """The incident, or `NotFound`."""
        return await self._read(lambda s: queries.get_incident(s, incident_id))

    async def timeline(self, incident_id: int, *, last: int) -> list[TimelineEntry]:
        """The `last` entries of the incident's timeline, oldest first; `NotFound` without it."""

        def read(session: Session) -> list[TimelineEntry]:
            queries.get_incident(session, incident_id)
            newest = session.scalars(
                select(TimelineEntry)
                .where(col(TimelineEntry.incident_id) == incident_id)
                .order_by(col(TimelineEntry.at).desc(), col(TimelineEntry.id).desc())
                .limit(last)
            )
            return list(reversed(list(newest)))

        return await self._read(read)

    async def alerts(self, incident_id: int, *, limit: int) -> list[Alert]:
        """Alerts attached to the incident, most recently seen first; `NotFound` without it."""

        def read(session: Session) -> list[Alert]:
            queries.get_incident(session, incident_id)
            f = queries.AlertFilter(incident_id=incident_id)
            return queries.list_alerts(session, f, limit=limit).items

        return await self._read(read)

    async def recent(
        self,
        *,
        service: str | None,
        labels: Mapping[str, str],
        since: datetime,
        excluding: int | None = None,
        limit: int,
    ) -> list[Incident]:
        """Incidents opened since `since` with this service (when given) and these labels."""

        def read(session: Session) -> list[Incident]:
            f = queries.IncidentFilter(service=service, labels=dict(labels), since=since)
            rows = queries.list_incidents(session, f, limit=limit + 1).items
            return [i for i in rows if i.id != excluding][:limit]

        return await self._read(read)

    async def open_incidents(self, *, severities: Sequence[str] = (), limit: int) -> list[Incident]:
        """Incidents not resolved, the most severe first, then the newest (of these severities)."""
        wanted = [s for s in Severity if not severities or s in severities]

        def read(session: Session) -> list[Incident]:
            found: list[Incident] = []
            for severity in wanted:  # one query per level keeps "most severe first" exact
                f = queries.IncidentFilter(status=list(OPEN), severity=[severity])
                found += queries.list_incidents(session, f, limit=limit - len(found)).items
                if len(found) >= limit:
                    break
            return found

        return await self._read(read)

    async def latest_triage(self, incident_id: int) -> TriageRun | None:
        """The incident's newest triage run, or None; `NotFound` without the incident."""

        def read(session: Session) -> TriageRun | None:
            queries.get_incident(session, incident_id)
            return session.scalars(
                select(TriageRun)
                .where(col(TriageRun.incident_id) == incident_id)
                .order_by(col(TriageRun.id).desc())
                .limit(1)
            ).first()

        return await self._read(read)

    async def on_call(self, at: datetime) -> list[OnCall]:
        """Who is on call at `at` on each schedule, by schedule name."""

        def read(session: Session) -> list[OnCall]:
            found = []
            for schedule in oncall.list_schedules(session):
                ids = oncall.who_is_on_call(session, schedule.id, at)
                people = [session.get(User, user_id) for user_id in ids]
                found.append(
                    OnCall(schedule=schedule.name, people=[p for p in people if p is not None])
                )
            return found

        return await self._read(read)
