"""Triage runs: queue one for an incident, record its start, its report or its failure.

Every new incident gets a run queued in the transaction that opens it, so the run exists
exactly when the incident does; the `incident.triage` job carries the run's id. A person may
ask again (`POST /api/v1/incidents/{id}/triage`): while a run is queued, asking returns that
run instead of queueing a second. What the investigation is belongs to `agents/`; this
module only keeps its record, on the incident's timeline too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import NotFound
from core.jobs.queue import enqueue as add_job
from incidents import slack_posts
from incidents.audit import audit, timeline
from incidents.models.incident import Incident, TimelineKind
from incidents.models.triage import TriageRun, TriageStatus, TriageTrigger
from incidents.triage_report import TriageReport

TRIAGE_JOB = "incident.triage"
"""The job kind; its payload is `{"run_id": <id>}`."""
TRIAGE_ATTEMPTS = 2
"""A run whose worker died is tried once more; a run that failed cleanly is recorded, not
retried (asking again is one request away)."""


def request_triage(
    session: Session,
    incident_id: int,
    *,
    now: datetime,
    trigger: TriageTrigger,
    actor: str,
    request_id: str | None = None,
    enqueue: bool = True,
) -> TriageRun:
    """Queue a run for the incident, or return the one already queued (caller commits).

    With `enqueue` False the run is created for the caller to run itself (the CLI): no job,
    and never one already queued for a worker.
    """
    if session.get(Incident, incident_id) is None:
        raise NotFound(f"incident {incident_id} not found")
    queued = (
        None
        if not enqueue
        else session.scalars(
            select(TriageRun)
            .where(
                col(TriageRun.incident_id) == incident_id,
                col(TriageRun.status) == TriageStatus.QUEUED,
            )
            .limit(1)
        ).first()
    )
    if queued is not None:
        return queued
    run = TriageRun(
        incident_id=incident_id,
        status=TriageStatus.QUEUED,
        trigger=trigger,
        requested_by=actor,
        created_at=now,
    )
    session.add(run)
    session.flush()
    if enqueue:
        add_job(
            session,
            kind=TRIAGE_JOB,
            now=now,
            payload={"run_id": run.id},
            dedup_key=f"triage-run:{run.id}",
            max_attempts=TRIAGE_ATTEMPTS,
        )
    if trigger == TriageTrigger.REQUESTED:
        audit(
            session,
            now=now,
            actor=actor,
            action="incident.triage",
            target_type="incident",
            target_id=incident_id,
            after={"run_id": run.id},
            request_id=request_id,
        )
    return run


def start_run(session: Session, run_id: int, *, now: datetime) -> TriageRun:
    """Mark a run as running (again, when a worker died during it)."""
    run = _locked(session, run_id)
    if run.status in (TriageStatus.SUCCEEDED, TriageStatus.FAILED):
        raise NotFound(f"triage run {run_id} already ended ({run.status})")
    run.status = TriageStatus.RUNNING
    run.started_at = now
    return run


def finish_run(
    session: Session,
    run_id: int,
    report: TriageReport,
    *,
    now: datetime,
    usage: RunUsage,
) -> TriageRun:
    """Store the report and say on the incident's timeline what triage found."""
    run = _locked(session, run_id)
    run.status = TriageStatus.SUCCEEDED
    run.report = report.model_dump(mode="json")
    run.mode = report.mode
    cause = report.root_cause
    found = (
        f"{cause.kind} {cause.namespace + '/' if cause.namespace else ''}{cause.name} "
        f"({report.category})"
        if cause is not None
        else report.status.replace("_", " ")
    )
    _ended(
        session,
        run,
        usage,
        now,
        f"triage: {found}. {report.summary}",
        {
            "status": report.status,
            "category": report.category,
            "root_cause": cause.model_dump(mode="json") if cause else None,
            "confidence": report.confidence,
            "mode": report.mode,
        },
    )
    return run


def fail_run(
    session: Session, run_id: int, error: str, *, now: datetime, usage: RunUsage
) -> TriageRun:
    """Record why a run could not finish, on the run and on the incident's timeline."""
    run = _locked(session, run_id)
    run.status = TriageStatus.FAILED
    run.error = error[:8000]
    _ended(session, run, usage, now, f"triage failed: {error}", {"status": "failed"})
    return run


@dataclass(frozen=True, kw_only=True)
class RunUsage:
    """What a run spent: its tool calls (the invocation log), model calls, tokens and cost."""

    mode: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0


class UsageRow(Protocol):
    """A row that keeps what an agent run spent (a triage run, a chat message)."""

    mode: str | None
    tool_calls: list[dict[str, Any]]
    llm_calls: int
    tokens_in: int
    tokens_out: int
    cost: float


def store_usage(row: UsageRow, usage: RunUsage) -> None:
    """Put what a run spent on its row (the mode only when the usage names one)."""
    row.mode = usage.mode or row.mode
    row.tool_calls = usage.tool_calls
    row.llm_calls, row.tokens_in, row.tokens_out = (
        usage.llm_calls,
        usage.tokens_in,
        usage.tokens_out,
    )
    row.cost = usage.cost


def _ended(
    session: Session,
    run: TriageRun,
    usage: RunUsage,
    now: datetime,
    summary: str,
    data: dict[str, Any],
) -> None:
    """Record what the run spent and when it ended; say so on the timeline and in Slack."""
    store_usage(run, usage)
    run.finished_at = now
    timeline(
        session,
        incident_id=run.incident_id,
        now=now,
        actor="triage",
        kind=TimelineKind.AGENT_FINDING,
        summary=summary[:1000],
        data={"run_id": run.id, **data},
    )
    assert run.id is not None
    slack_posts.triage_ended(session, run.incident_id, run.id, now=now)


def get_run(session: Session, run_id: int) -> TriageRun:
    """A run by id, or NotFound."""
    run = session.get(TriageRun, run_id)
    if run is None:
        raise NotFound(f"triage run {run_id} not found")
    return run


def list_runs(session: Session, incident_id: int) -> list[TriageRun]:
    """The incident's runs, newest first (NotFound for an unknown incident)."""
    if session.get(Incident, incident_id) is None:
        raise NotFound(f"incident {incident_id} not found")
    return list(
        session.scalars(
            select(TriageRun)
            .where(col(TriageRun.incident_id) == incident_id)
            .order_by(col(TriageRun.id).desc())
        ).all()
    )


def recent_runs(session: Session, *, limit: int = 10) -> list[tuple[TriageRun, Incident]]:
    """The newest runs of every incident, each with its incident, newest first."""
    rows = session.execute(
        select(TriageRun, Incident)
        .join(Incident, col(Incident.id) == col(TriageRun.incident_id))
        .order_by(col(TriageRun.id).desc())
        .limit(limit)
    ).all()
    return [(run, incident) for run, incident in rows]


def _locked(session: Session, run_id: int) -> TriageRun:
    run = session.scalars(
        select(TriageRun).where(col(TriageRun.id) == run_id).with_for_update()
    ).first()
    if run is None:
        raise NotFound(f"triage run {run_id} not found")
    return run
