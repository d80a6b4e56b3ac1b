"""Answers about incidents without a model: one, the open ones, past ones, on-call, runbooks.

Incident text (titles, alert summaries, triage summaries) is quoted as the tools returned it:
it is shown to the person who asked, never followed.
"""

from __future__ import annotations

import json
from typing import Any

from agents.chat.calls import StepTools
from agents.chat.intents import Focus, Intent
from agents.chat.links import item_links
from agents.chat.reply import Draft, Reply
from agents.chat.steps import IncidentLink, ResourceLink
from tools.incident_status import TriageView, incident_triage, incidents_open, oncall_now
from tools.incidents import AlertLine, IncidentLine, IncidentView, incident_alerts, incident_get
from tools.memory import PastIncident, RunbookSection, runbook_search, similar_incidents
from tools.result import ToolResult

ALERTS_SHOWN = 5
SIMILAR_SHOWN = 3
RUNBOOKS_SHOWN = 3
RUNBOOK_SECTIONS = 8
"""Sections searched: the best few runbooks, each with its matching sections."""
EXCERPT_CHARS = 240


def _line(i: IncidentLine) -> str:
    service = f", service {i.service}" if i.service else ""
    return f"incident {i.id} ({i.severity}, {i.status}{service}): {i.title}"


def _without_heading(text: str, section: RunbookSection) -> str:
    """A section's text less the `title — section` its chunks start with."""
    for heading in (section.title, "—", section.section):
        if text.startswith(heading):
            text = text[len(heading) :].lstrip()
    return text


async def _described(
    number: int, tools: StepTools, draft: Draft, *, with_service: bool
) -> str | None:
    """Words to search the memory with for an incident: its title, alert name (and service).

    None when the incident could not be read (the draft says why).
    """
    got = await tools.run(incident_get, {"incident_id": number})
    if draft.failed(got, f"incident {number}"):
        return None
    incident = _incident(got)
    parts = [incident.title, (incident.labels or {}).get("alertname", "")]
    parts += [incident.service or ""] if with_service else []
    kept: list[str] = []
    for part in parts:
        if part and not any(part in k for k in kept):
            kept.append(part)
    return " ".join(kept)


def _incident(result: ToolResult[Any]) -> IncidentView:
    """The incident of an `incident_get` call that did not fail."""
    assert isinstance(result.data, IncidentView)
    return result.data


async def incident_summary(intent: Intent, tools: StepTools) -> Reply:
    """An incident's state and its newest triage report (or its alerts when never triaged)."""
    assert intent.incident_id is not None  # the intent names one
    number = intent.incident_id
    draft, focus = Draft(), Focus(incident_id=number)
    got = await tools.run(incident_get, {"incident_id": number})
    if draft.failed(got, f"incident {number}"):
        return draft.reply(focus)
    incident = _incident(got)
    head = f"Incident {number}: {incident.title} ({incident.severity}, {incident.status}"
    head += f", service {incident.service}" if incident.service else ""
    draft.add(
        f"{head}; opened {incident.opened}; {incident.alerts} alerts).",
        source=got,
        links=[IncidentLink(incident_id=number)],
    )
    if incident.acknowledged:
        draft.add(f"Acknowledged {incident.acknowledged}.")
    if incident.resolved:
        note = f": {incident.resolution_note}" if incident.resolution_note else ""
        draft.add(f"Resolved {incident.resolved}{note}.")
    triage = await tools.run(incident_triage, {"incident_id": number})
    view: TriageView | None = triage.data
    if view is not None and view.report is not None:
        _report(view, triage, draft)
    elif view is not None:
        error = f": {view.error}" if view.error else ""
        draft.add(f"Its newest triage run is {view.status}{error}.", source=triage)
    if view is None or view.report is None:
        await _alerts(number, tools, draft, triaged=view is not None)
    return draft.reply(focus)


def _report(view: TriageView, source: ToolResult[Any], draft: Draft) -> None:
    report = view.report
    assert report is not None
    cause = report.root_cause
    if cause is not None:
        where = f"{cause.namespace}/" if cause.namespace else ""
        found = (
            f"root cause {cause.kind} {where}{cause.name} ({report.category}), "
            f"confidence {report.confidence:.2f}"
        )
    else:
        found = report.status.replace("_", " ")
    finished = f", {view.finished}" if view.finished else ""
    draft.add(
        f"Triage ({view.mode or report.mode}{finished}): {found}.",
        source=source,
        links=[ResourceLink(**cause.model_dump())] if cause else [],
    )
    draft.add(report.summary)
    for action in report.recommended_actions:
        draft.add(
            f"Proposed (not run; remediation asks for approval): {action.action} "
            f"{json.dumps(action.params, sort_keys=True)}"
        )


async def _alerts(number: int, tools: StepTools, draft: Draft, *, triaged: bool) -> None:
    if not triaged:
        draft.add("It has not been triaged yet.")
    alerts = await tools.run(incident_alerts, {"incident_id": number, "limit": ALERTS_SHOWN})
    lines: list[AlertLine] = list(alerts.data or [])
    if draft.failed(alerts, f"the alerts of incident {number}") or not lines:
        return
    draft.add("Its newest alerts:", source=alerts)
    for alert in lines:
        draft.add(f"- {alert.summary} ({alert.status}, {alert.severity})")


async def similar(intent: Intent, tools: StepTools) -> Reply:
    """Resolved incidents like one incident, or like the problem the question describes."""
    draft, focus = Draft(), Focus(incident_id=intent.incident_id)
    query = intent.topic
    if intent.incident_id is not None:
        query = await _described(intent.incident_id, tools, draft, with_service=True)
        if query is None:
            return draft.reply(focus)
    if not query:
        draft.add(
            'Which incident? Ask for incidents similar to one ("similar incidents to incident '
            '42") or describe the problem ("have we seen OOMKilled in payments before?").'
        )
        return draft.reply(focus)
    past = await tools.run(similar_incidents, {"query": query, "k": SIMILAR_SHOWN + 1})
    hits: list[PastIncident] = [
        p for p in past.data or [] if p.incident != str(intent.incident_id)
    ][:SIMILAR_SHOWN]
    like = f"incident {intent.incident_id}" if intent.incident_id is not None else "this"
    if draft.failed(past, "the incident memory"):
        return draft.reply(focus)
    if not hits:
        draft.add(f"No resolved incident is similar enough to {like}.", source=past)
        return draft.reply(focus)
    draft.add(f"Resolved incidents like {like}:", source=past)
    for hit in hits:
        parts = [f"- incident {hit.incident} (similarity {hit.score}): {hit.summary}"]
        parts += [f"root cause: {hit.root_cause}"] if hit.root_cause else []
        parts += [f"fixed by: {hit.resolution}"] if hit.resolution else []
        parts += [f"resolved in {hit.time_to_resolve}"] if hit.time_to_resolve else []
        draft.add("; ".join(parts), links=item_links(hit, None))
    return draft.reply(focus)


async def open_incidents(intent: Intent, tools: StepTools) -> Reply:
    """The incidents not resolved, most severe first."""
    draft = Draft()
    result = await tools.run(incidents_open, {"severity": list(intent.severities)})
    which = "/".join(intent.severities) + " " if intent.severities else ""
    if draft.failed(result, "the incidents"):
        return draft.reply(Focus())
    found: list[IncidentLine] = list(result.data or [])
    if not found:
        draft.add(f"No {which}incident is open.", source=result)
        return draft.reply(Focus())
    draft.add(f"{len(found)} open {which}incidents, most severe first:", source=result)
    for incident in found:
        draft.add(
            f"- {_line(incident)}; opened {incident.opened}", links=item_links(incident, None)
        )
    only = found[0].id if len(found) == 1 else None
    return draft.reply(Focus(incident_id=only))


async def on_call(intent: Intent, tools: StepTools) -> Reply:
    """Who is on call now, per schedule."""
    del intent
    draft = Draft()
    result = await tools.run(oncall_now, {})
    if draft.failed(result, "the on-call schedules"):
        return draft.reply(Focus())
    if not result.data:
        message = result.message or "no on-call schedule"
        draft.add(f"{message[:1].upper()}{message[1:]}.", source=result)
        return draft.reply(Focus())
    draft.add("On call now:", source=result)
    for line in result.data:
        draft.add(
            f"- {line.schedule}: {', '.join(line.on_call) or 'nobody (a gap in the schedule)'}"
        )
    return draft.reply(Focus())


async def runbook(intent: Intent, tools: StepTools) -> Reply:
    """The runbook sections that match a problem, or an incident."""
    draft, focus = Draft(), Focus(incident_id=intent.incident_id)
    query = intent.topic
    if query is None and intent.incident_id is not None:
        query = await _described(intent.incident_id, tools, draft, with_service=False)
        if query is None:
            return draft.reply(focus)
    if not query:
        draft.add('What should the runbook be about? Ask "find a runbook for OOMKilled pods".')
        return draft.reply(focus)
    found = await tools.run(runbook_search, {"query": query, "k": RUNBOOK_SECTIONS})
    if draft.failed(found, "the runbooks"):
        return draft.reply(focus)
    sections: list[RunbookSection] = list(found.data or [])
    if not sections:
        draft.add(f"No runbook fits: {found.message}.", source=found)
        return draft.reply(focus)
    by_runbook: dict[str, list[RunbookSection]] = {}
    for section in sections:  # best first: each runbook's first section is its best
        by_runbook.setdefault(section.runbook, []).append(section)
    draft.add(f'The runbooks that match "{query}" best:', source=found)
    for best, *more in list(by_runbook.values())[:RUNBOOKS_SHOWN]:
        text = _without_heading(" ".join(best.text.split()), best)
        cut = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
        also = f"; also {', '.join(s.section for s in more)}" if more else ""
        draft.add(
            f'- {best.title} ({best.runbook}): section "{best.section}", score {best.score}'
            f"{also}. {cut}",
            links=item_links(best, None),
        )
    return draft.reply(focus)
