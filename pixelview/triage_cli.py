"""`pixelview triage <incident-id>`: run a triage in this process and show its report."""

from __future__ import annotations

import asyncio
import json

from agents.triage.job import TriageHandler
from api.schemas.triage import TriageRunOut
from incidents import triage
from incidents.models.triage import TriageTrigger
from incidents.triage_report import TriageReport
from pixelview.container import Container


def report_lines(run: TriageRunOut) -> list[str]:
    """A run as a person reads it in a terminal."""
    lines = [f"triage run {run.id} of incident {run.incident_id}: {run.status} ({run.mode})"]
    if run.error:
        lines.append(f"error: {run.error}")
    report: TriageReport | None = run.report
    if report is None:
        return lines
    cause = report.root_cause
    if cause is not None:
        where = f"{cause.namespace}/" if cause.namespace else ""
        lines.append(
            f"root cause: {cause.cloud} {cause.kind} {where}{cause.name}  "
            f"[{report.category}]  confidence {report.confidence:.2f}"
        )
    else:
        lines.append(f"root cause: {report.status}")
    lines += ["", report.summary, ""]
    if report.evidence:
        lines.append("evidence:")
        lines += [f"  [{e.call_id} {e.tool}] {e.summary}" for e in report.evidence]
    if report.recommended_actions:
        lines.append("proposed (not run; remediation asks for approval):")
        lines += [f"  {a.action} {json.dumps(a.params)}" for a in report.recommended_actions]
    if report.flags:
        lines.append(f"flags: {', '.join(report.flags)}")
    lines.append(
        f"{len(run.tool_calls)} tool calls, {run.llm_calls} model calls, "
        f"{run.tokens_in + run.tokens_out} tokens"
    )
    return lines


def run_triage(container: Container, incident_id: int) -> TriageRunOut:
    """Create a run for the incident, run it in this process, and read it back."""
    with container.sessions() as session:
        run = triage.request_triage(
            session,
            incident_id,
            now=container.clock.now(),
            trigger=TriageTrigger.REQUESTED,
            actor="cli",
            enqueue=False,
        )
        session.commit()
        run_id = run.id or 0
    handler = TriageHandler(container.sessions, container.clock, container.triage_runner())
    asyncio.run(handler.run(run_id))
    with container.sessions() as session:
        return TriageRunOut.model_validate(triage.get_run(session, run_id))
