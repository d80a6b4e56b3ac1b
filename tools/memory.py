"""Read tools over the memory: the team's runbooks, and incidents like this one that were fixed.

Runbook text is the team's own but edited by people and uploaded through the API, and past
incidents quote alerts and resolution notes: every result is untrusted data.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core.taxonomy import Category, Cloud
from memory.models import IncidentFilters, IncidentMemory, RunbookFilters
from tools.context import ToolDeps
from tools.decorators import Domain, ReadTool, ToolArgs, read_tool
from tools.formatting import View, number
from tools.result import ToolResult


class RunbookSearchArgs(ToolArgs):
    """What to look for in the runbooks."""

    query: str = Field(
        min_length=3,
        description="The problem in words: alert name, symptom, error text "
        "(e.g. 'KubePodCrashLooping OOMKilled exit code 137 payments/api').",
    )
    cloud: Cloud | None = Field(
        None, description="Only runbooks for kubernetes, openstack or vsphere."
    )
    kind: str | None = Field(
        None, description="Only runbooks about this kind (Deployment, Node...)."
    )
    alert: str | None = Field(None, description="Only runbooks that list this alert name.")
    k: int = Field(3, ge=1, le=10, description="Sections to return.")

    def target(self) -> str:
        """The query."""
        return self.query


class RunbookSection(View):
    """One runbook section that matches."""

    runbook: str
    """The runbook's id (cite it with the section)."""
    title: str
    section: str
    score: float
    text: str


@read_tool(args=RunbookSearchArgs, domain=Domain.MEMORY, narrow="lower k")
async def runbook_search(
    args: RunbookSearchArgs, deps: ToolDeps
) -> ToolResult[list[RunbookSection]]:
    """Search the team's runbooks; the best matching sections first, or no good match."""
    filters = RunbookFilters(cloud=args.cloud, kind=args.kind, alert=args.alert)
    found = await deps.knowledge().search_runbooks(args.query, filters=filters, k=args.k)
    if found.no_good_match:
        nearest = (
            f" (nearest: {found.nearest.title}, {number(found.nearest.score)})"
            if (found.nearest)
            else ""
        )
        return ToolResult.no_data(
            f"no runbook matches well enough (threshold {found.threshold}){nearest}",
            untrusted=True,
        )
    return ToolResult.ok(
        [
            RunbookSection(
                runbook=h.runbook_id,
                title=h.title,
                section=h.section,
                score=number(h.score),
                text=h.text,
            )
            for h in found.hits
        ],
        untrusted=True,
    )


class SimilarIncidentsArgs(ToolArgs):
    """The incident to find the like of."""

    query: str = Field(
        min_length=3,
        description="What happened: alert names, the resource, the symptom or the root cause.",
    )
    cloud: Cloud | None = Field(
        None, description="Only incidents on kubernetes, openstack or vsphere."
    )
    category: Category | None = Field(None, description="Only incidents of this fault category.")
    k: int = Field(3, ge=1, le=10, description="Incidents to return.")

    def target(self) -> str:
        """The query."""
        return self.query


class PastIncident(View):
    """A resolved incident like this one, and what fixed it."""

    incident: str
    score: float
    summary: str
    root_cause: str | None = None
    category: str | None = None
    resolution: str | None = None
    time_to_resolve: str | None = None
    resolved_at: str | None = None


@read_tool(args=SimilarIncidentsArgs, domain=Domain.MEMORY, narrow="lower k")
async def similar_incidents(
    args: SimilarIncidentsArgs, deps: ToolDeps
) -> ToolResult[list[PastIncident]]:
    """Find resolved incidents like this one: their root cause and what fixed them."""
    filters = IncidentFilters(cloud=args.cloud, category=args.category)
    found = await deps.knowledge().search_incidents(args.query, filters=filters, k=args.k)
    return ToolResult.listing(
        [_past(hit.incident, hit.score) for hit in found.hits],
        empty="no resolved incident is similar enough",
        untrusted=True,
    )


def _past(incident: IncidentMemory, score: float) -> PastIncident:
    ttr = incident.time_to_resolve_s
    return PastIncident(
        incident=incident.incident_id,
        score=number(score),
        summary=incident.summary,
        root_cause=incident.root_cause or None,
        category=incident.category,
        resolution=incident.resolution or None,
        time_to_resolve=None if ttr is None else f"{ttr / 60:.0f} min",
        resolved_at=incident.resolved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if incident.resolved_at
        else None,
    )


TOOLS: tuple[ReadTool[Any, Any], ...] = (runbook_search, similar_incidents)
"""The memory's read tools."""
