"""`incident.remember`: a resolved incident goes into the memory, to be found when it recurs.

What is kept: the title and alert names, the resources and root cause of its newest triage
report, the category, the person's resolution note, and how long it took to resolve. The
next triage of something similar finds it through `similar_incidents`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import NotFound
from core.jobs.models import ClaimedJob
from core.jobs.worker import PermanentJobError
from core.logs import get_logger
from incidents import queries
from incidents.models.incident import Incident
from incidents.models.triage import TriageRun, TriageStatus
from incidents.triage_report import TriageReport
from memory.models import IncidentMemory, ResourceKey
from memory.port import MemoryStore

log = get_logger(__name__)
ALERT_NAMES = 10


def incident_memory(
    incident: Incident, alert_names: list[str], report: TriageReport | None
) -> IncidentMemory:
    """What the memory keeps of a resolved incident."""
    parts = [incident.title]
    if alert_names:
        parts.append("alerts: " + ", ".join(alert_names))
    resources: tuple[ResourceKey, ...] = ()
    root_cause = ""
    category = None
    if report is not None and report.root_cause is not None:
        cause = report.root_cause
        resources = (ResourceKey.model_validate(cause.model_dump()),)
        where = f"{cause.namespace}/" if cause.namespace else ""
        root_cause = f"{cause.kind} {where}{cause.name}: {report.summary}"[:4000]
        category = report.category
        parts.append(root_cause)
    spent = None
    if incident.resolved_at is not None:
        spent = max(0.0, (incident.resolved_at - incident.created_at).total_seconds())
    return IncidentMemory(
        incident_id=str(incident.id),
        summary=". ".join(parts)[:4000],
        resources=resources,
        root_cause=root_cause,
        category=category,
        resolution=(incident.resolution_note or "")[:4000],
        time_to_resolve_s=spent,
        resolved_at=incident.resolved_at,
    )


class RememberHandler:
    """Runs `incident.remember` jobs."""

    def __init__(self, sessions: SessionFactory, clock: Clock, memory: MemoryStore) -> None:
        """Read incidents through `sessions`; remember them in `memory`."""
        self._sessions, self._clock, self._memory = sessions, clock, memory

    async def __call__(self, job: ClaimedJob) -> None:
        """Remember the job's incident (a memory that cannot be reached is retried).

        Raises:
            PermanentJobError: no incident id, or the incident is gone or open again.
        """
        incident_id = job.payload.get("incident_id")
        if not isinstance(incident_id, int):
            raise PermanentJobError(f"remember job {job.id} has no incident_id")
        with self._sessions() as session:
            try:
                incident = queries.get_incident(session, incident_id)
            except NotFound as e:
                raise PermanentJobError(e.message) from e
            if incident.resolved_at is None:
                raise PermanentJobError(f"incident {incident_id} is open again; not remembered")
            page = queries.list_alerts(
                session, queries.AlertFilter(incident_id=incident_id), limit=50
            )
            names = list(dict.fromkeys(a.labels.get("alertname", "") for a in page.items))
            run = session.scalars(
                select(TriageRun)
                .where(
                    col(TriageRun.incident_id) == incident_id,
                    col(TriageRun.status) == TriageStatus.SUCCEEDED,
                )
                .order_by(col(TriageRun.id).desc())
                .limit(1)
            ).first()
            report = TriageReport.model_validate(run.report) if run and run.report else None
            memory = incident_memory(incident, [n for n in names if n][:ALERT_NAMES], report)
        await self._memory.record_incident(memory)
        log.info("memory.incident_remembered", incident_id=incident_id, category=memory.category)
