"""What the team already knows: the runbooks that match the finding, and incidents like it.

After the analyzers, triage asks the memory with the incident's alert and its best finding
(through `runbook_search` and `similar_incidents`, so both calls are in the invocation log
with their ids) and the report cites what comes back. Without a memory, or with no good
match, the report cites nothing rather than a runbook that does not fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.triage.deterministic import Analyzed, best_finding
from incidents.models.incident import Incident
from incidents.triage_report import RunbookCitation, SimilarIncident, TriageReport
from tools.context import ToolDeps
from tools.memory import runbook_search, similar_incidents

RUNBOOKS = 3
SIMILAR = 3


def recall_query(incident: Incident, analyzed: Sequence[Analyzed]) -> tuple[str, dict[str, Any]]:
    """The words to search with, and the filters the best finding allows."""
    labels = incident.labels or {}
    parts = [labels.get("alertname", ""), incident.title]
    filters: dict[str, Any] = {}
    chosen = best_finding(analyzed)
    if chosen is not None:
        finding = chosen[0]
        parts += [
            finding.summary,
            finding.category.replace(".", " "),
            finding.rule.replace("_", " "),
        ]
        filters["cloud"] = finding.resource.cloud
    return " ".join(p for p in parts if p), filters


async def recall(
    deps: ToolDeps, incident: Incident, analyzed: Sequence[Analyzed]
) -> dict[str, list[dict[str, Any]]]:
    """Runbook sections and similar past incidents, as JSON for the graph's state."""
    if deps.memory is None:
        return {"runbooks": [], "similar": []}
    query, filters = recall_query(incident, analyzed)
    found = await runbook_search.run({"query": query, "k": RUNBOOKS, **filters}, deps)
    runbooks = [
        RunbookCitation(
            runbook_id=hit.runbook,
            title=hit.title,
            section=hit.section,
            score=hit.score,
            call_id=found.call_id or "",
        ).model_dump(mode="json")
        for hit in found.data or []
    ]
    past = await similar_incidents.run({"query": query, "k": SIMILAR + 1, **filters}, deps)
    similar = [
        SimilarIncident(
            incident_id=hit.incident,
            summary=hit.summary,
            score=hit.score,
            resolution=hit.resolution or "",
            call_id=past.call_id or "",
        ).model_dump(mode="json")
        for hit in past.data or []
        if hit.incident != str(incident.id)
    ][:SIMILAR]
    return {"runbooks": runbooks, "similar": similar}


def cite(report: TriageReport, recalled: dict[str, list[dict[str, Any]]]) -> TriageReport:
    """The report with the recalled runbooks and incidents (kept when it names its own)."""
    runbooks = report.runbooks or [RunbookCitation.model_validate(r) for r in recalled["runbooks"]]
    similar = report.similar_incidents or [
        SimilarIncident.model_validate(s) for s in recalled["similar"]
    ]
    summary = report.summary
    if runbooks and "Runbook:" not in summary:
        best = runbooks[0]
        summary += f" Runbook: {best.title} ({best.section})."
    if similar and "Seen before:" not in summary:
        summary += f" Seen before: incident {similar[0].incident_id}."
    return report.model_copy(
        update={"runbooks": runbooks, "similar_incidents": similar, "summary": summary}
    )
