"""An incident reader over incidents held in memory, for agent tests without a database."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from core.errors import NotFound
from incidents.models.alert import Alert
from incidents.models.incident import Incident, TimelineEntry
from incidents.models.triage import TriageRun
from incidents.reader import OPEN, IncidentReader, OnCall

INTEGRATION = uuid.UUID(int=1)


def incident(
    incident_id: int, *, title: str, at: datetime, service: str | None = None, **labels: str
) -> Incident:
    """An open critical incident from Alertmanager."""
    return Incident(
        id=incident_id,
        integration_id=INTEGRATION,
        source="alertmanager",
        title=title,
        status="open",
        severity="critical",
        group_key=title,
        service=service,
        labels=dict(labels),
        alert_count=1,
        open_alert_count=1,
        created_at=at,
        updated_at=at,
        last_alert_at=at,
    )


def alert(
    alert_id: int,
    of: Incident,
    *,
    summary: str,
    description: str = "",
    annotations: Mapping[str, str] | None = None,
) -> Alert:
    """A firing alert of `of`, labelled as the incident is."""
    return Alert(
        id=alert_id,
        integration_id=INTEGRATION,
        incident_id=of.id,
        source=of.source,
        fingerprint=f"fp-{alert_id}",
        group_key=of.group_key,
        content_hash=f"hash-{alert_id}",
        open_fingerprint=f"fp-{alert_id}",
        status="firing",
        severity=of.severity,
        summary=summary,
        description=description,
        labels=dict(of.labels),
        annotations=dict(annotations or {}),
        first_seen=of.created_at,
        last_seen=of.created_at,
    )


class StaticIncidents(IncidentReader):
    """Answers from the incidents, alerts, triage runs and on-call it was given."""

    def __init__(
        self,
        incidents: Sequence[Incident],
        alerts: Sequence[Alert] = (),
        *,
        triage: Sequence[TriageRun] = (),
        on_call: Sequence[OnCall] = (),
    ) -> None:
        """Serve `incidents` and their `alerts`, triage runs, and who is on call."""
        self._incidents = {i.id: i for i in incidents}
        self._alerts = list(alerts)
        self._triage = list(triage)
        self._on_call = list(on_call)

    async def get(self, incident_id: int) -> Incident:
        """The incident, or `NotFound`."""
        try:
            return self._incidents[incident_id]
        except KeyError:
            raise NotFound(f"incident {incident_id} not found") from None

    async def timeline(self, incident_id: int, *, last: int) -> list[TimelineEntry]:
        """No history."""
        del last
        await self.get(incident_id)
        return []

    async def alerts(self, incident_id: int, *, limit: int) -> list[Alert]:
        """Its alerts, as given."""
        await self.get(incident_id)
        return [a for a in self._alerts if a.incident_id == incident_id][:limit]

    async def recent(
        self,
        *,
        service: str | None,
        labels: Mapping[str, str],
        since: datetime,
        excluding: int | None = None,
        limit: int,
    ) -> list[Incident]:
        """The other incidents opened since `since` on the service."""
        del labels
        return [
            i
            for i in self._incidents.values()
            if i.id != excluding and i.created_at >= since and i.service == service
        ][:limit]

    async def open_incidents(self, *, severities: Sequence[str] = (), limit: int) -> list[Incident]:
        """The open incidents of these severities, most severe first, then newest."""
        rank = ["critical", "error", "warning", "info"]
        found = [
            i
            for i in self._incidents.values()
            if i.status in OPEN and (not severities or i.severity in severities)
        ]
        found.sort(key=lambda i: (rank.index(i.severity), -i.created_at.timestamp()))
        return found[:limit]

    async def latest_triage(self, incident_id: int) -> TriageRun | None:
        """The newest run given for the incident."""
        await self.get(incident_id)
        runs = [r for r in self._triage if r.incident_id == incident_id]
        return max(runs, key=lambda r: r.id or 0) if runs else None

    async def on_call(self, at: datetime) -> list[OnCall]:
        """Who was said to be on call."""
        del at
        return list(self._on_call)
