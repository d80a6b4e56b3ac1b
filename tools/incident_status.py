"""Read tools over where incidents stand: the open ones, an incident's triage, who is on call.

Incident titles and triage reports quote alert senders and what the analyzers read from the
clusters: those results are untrusted. Schedules and people are PixelView's own records.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from incidents.triage_report import TriageReport
from tools.context import ToolDeps
from tools.decorators import Domain, ReadTool, ToolArgs, read_tool
from tools.formatting import View, when
from tools.incidents import IncidentArgs, IncidentLine, incident_line
from tools.result import ToolResult

SeverityName = Literal["critical", "error", "warning", "info"]


class OpenIncidentsArgs(ToolArgs):
    """Which open incidents."""

    severity: list[SeverityName] = Field(
        default_factory=list, description="Only these severities; leave empty for all."
    )
    limit: int = Field(20, ge=1, le=100, description="At most this many.")


@read_tool(args=OpenIncidentsArgs, domain=Domain.INCIDENTS, narrow="give a severity")
async def incidents_open(args: OpenIncidentsArgs, deps: ToolDeps) -> ToolResult[list[IncidentLine]]:
    """Incidents not yet resolved (triggered, acknowledged, in progress): most severe first."""
    found = await deps.incidents.open_incidents(severities=args.severity, limit=args.limit)
    now = deps.clock.now()
    which = "/".join(args.severity) + " " if args.severity else ""
    return ToolResult.listing(
        [incident_line(i, now) for i in found],
        empty=f"no open {which}incidents",
        message=f"{len(found)} open {which}incidents"
        + (" (the limit)" if len(found) == args.limit else ""),
        untrusted=True,
    )


class TriageView(View):
    """An incident's newest triage run and its report."""

    run: int
    status: str
    """`queued`, `running`, `succeeded` or `failed`."""
    mode: str | None = None
    finished: str | None = None
    report: TriageReport | None = None
    error: str | None = None


@read_tool(args=IncidentArgs, domain=Domain.INCIDENTS)
async def incident_triage(args: IncidentArgs, deps: ToolDeps) -> ToolResult[TriageView]:
    """An incident's newest triage report: root cause, category, confidence, evidence, actions."""
    run = await deps.incidents.latest_triage(args.incident_id)
    if run is None:
        return ToolResult.no_data(f"incident {args.incident_id} has not been triaged")
    assert run.id is not None  # a row read from the database
    view = TriageView(
        run=run.id,
        status=run.status,
        mode=run.mode,
        finished=when(run.finished_at, deps.clock.now()),
        report=TriageReport.model_validate(run.report) if run.report else None,
        error=run.error,
    )
    return ToolResult.ok(view, untrusted=True)


class OnCallArgs(ToolArgs):
    """Whose on-call."""

    schedule: str | None = Field(None, description="Only the schedule of this exact name.")


class OnCallLine(View):
    """Who is on call on one schedule now."""

    schedule: str
    on_call: list[str]
    """`Name <email>` of each person; empty: nobody (a gap in the schedule)."""


@read_tool(args=OnCallArgs, domain=Domain.INCIDENTS)
async def oncall_now(args: OnCallArgs, deps: ToolDeps) -> ToolResult[list[OnCallLine]]:
    """Who is on call now, on each on-call schedule (or one)."""
    schedules = await deps.incidents.on_call(deps.clock.now())
    lines = [
        OnCallLine(schedule=s.schedule, on_call=[f"{p.name} <{p.email}>" for p in s.people])
        for s in schedules
        if args.schedule is None or s.schedule == args.schedule
    ]
    if not lines:
        names = ", ".join(s.schedule for s in schedules) or "none"
        return ToolResult.no_data(
            f"no schedule named {args.schedule!r} (the schedules: {names})"
            if args.schedule
            else "no on-call schedule is set up"
        )
    return ToolResult.ok(lines)


TOOLS: tuple[ReadTool[Any, Any], ...] = (incidents_open, incident_triage, oncall_now)
"""Open incidents, triage reports and on-call."""
