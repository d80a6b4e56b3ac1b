"""The supervisor's first message: the incident, its alerts and the analyzers' findings.

Alert text (title, summaries, descriptions, labels, annotations) and the analyzers' findings
(which quote logs and events) come from outside PixelView and go into the message fenced as
untrusted data; the analyzers' call ids stay outside the fences, to be cited.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.prompts.fence import fence
from agents.specialists import SpecialistSpec
from agents.triage.deterministic import Analyzed
from incidents.models.alert import Alert
from incidents.models.incident import Incident
from incidents.triage_report import TriageReport
from tools.analyzers.tool import k8s_analyze
from tools.result import echo, render_data

DESCRIPTION_CHARS = 500
"""An alert description is cut here in the briefing (the alerting specialist reads more)."""


def alert_texts(incident: Incident, alerts: Sequence[Alert]) -> str:
    """The incident's title and its alerts, as the senders wrote them."""
    lines = [f"title: {incident.title}"]
    for alert in alerts:
        lines.append(f"alert {alert.id} ({alert.status}, {alert.severity}): {alert.summary}")
        if alert.description:
            cut = alert.description[:DESCRIPTION_CHARS]
            more = " [cut]" if len(alert.description) > DESCRIPTION_CHARS else ""
            lines.append(f"  description: {cut}{more}")
        for name, values in (("labels", alert.labels), ("annotations", alert.annotations)):
            if values:
                lines.append(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    return "\n".join(lines)


def analyzer_text(analyzed: Analyzed) -> str:
    """One analyzer call as the model would have seen it: call id, call, findings."""
    call = echo(k8s_analyze.name, analyzed.target)
    if analyzed.error is not None:
        return f"[{analyzed.call_id}] {call} -> error\n{analyzed.error}"
    if not analyzed.findings:
        return f"[{analyzed.call_id}] {call} -> no findings"
    head = f"[{analyzed.call_id}] {call} -> {len(analyzed.findings)} finding(s)"
    source = f"{k8s_analyze.name} {analyzed.call_id}"
    return f"{head}\n{fence(render_data(analyzed.findings), source)}"


def briefing(
    *,
    incident: Incident,
    alerts: Sequence[Alert],
    analyzed: Sequence[Analyzed],
    draft: TriageReport,
    specialists: Sequence[SpecialistSpec],
) -> str:
    """The supervisor's task, with everything known before it starts."""
    opened = incident.created_at.isoformat() if incident.created_at else "?"
    checks = "\n".join(analyzer_text(a) for a in analyzed) or "(no Kubernetes scope to check)"
    cause = (
        f"{draft.root_cause.kind} {draft.root_cause.namespace or '-'}/{draft.root_cause.name} "
        f"({draft.category})"
        if draft.root_cause is not None
        else "none"
    )
    asks = "\n".join(f"- {s.tool_name}: {s.description}" for s in specialists)
    return f"""\
Incident #{incident.id}: severity {incident.severity}, status {incident.status}, service \
{incident.service or "-"}, opened {opened}. Its title and alerts, as the alert senders wrote \
them:
{fence(alert_texts(incident, alerts), f"alerts of incident {incident.id}")}

PixelView's analyzers already ran (cite these call ids):
{checks}

The analyzers' draft report: {draft.status}; root cause {cause}; confidence \
{draft.confidence}. {draft.summary}

Your specialists:
{asks}

Confirm or correct the draft with your specialists, then call submit_report."""
