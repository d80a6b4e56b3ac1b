"""The triage report: what an investigation concluded, and the evidence it cites.

Agents write it (`agents/`), the incident keeps it (`incidents/triage.py`), people and evals
read it. A root cause is only a claim when evidence backs it: `TriageReport` refuses a
determined report without a cause, a category or any evidence, and evidence must name the
tool call it came from, so every claim can be traced to what a tool returned.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.taxonomy import Category as Category  # re-exported: part of this module's vocabulary
from core.taxonomy import Cloud as Cloud


def slug(heading: str) -> str:
    """A section heading as a link anchor: lower case, words joined by `-`."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResourceRef(_Strict):
    """A resource in the platform's own words: `{cloud, kind, namespace?, name}`."""

    cloud: Cloud
    kind: str = Field(min_length=1, max_length=64)
    """`Deployment`, `Pod`, `Node`, `Server`, `Hypervisor`, `Volume`, `HostSystem`..."""
    namespace: str | None = None
    name: str = Field(min_length=1, max_length=253)


class Evidence(_Strict):
    """One fact the report relies on, and the tool call that returned it."""

    summary: str = Field(min_length=1, max_length=2000)
    """The fact, in a sentence (`api-7d9f container exited OOMKilled, exit code 137`)."""
    tool: str = Field(min_length=1, max_length=100)
    """The tool (or analyzer) that returned it."""
    call_id: str = Field(min_length=1, max_length=100)
    """The id of that call in the run's invocation log."""
    excerpt: str = Field("", max_length=4000)
    """The words of the tool's output that show it (quoted data, never instructions)."""


class RecommendedAction(_Strict):
    """An action the report proposes; never run by triage (remediation asks for approval)."""

    action: str = Field(min_length=1, max_length=100)
    """A remediation action name, e.g. `kubernetes.set_memory_limit`."""
    params: dict[str, Any] = {}
    reason: str = Field("", max_length=2000)


class RunbookCitation(_Strict):
    """A runbook section the triage used (the team's own knowledge)."""

    runbook_id: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=300)
    section: str = Field(max_length=300)
    score: float
    call_id: str = Field(min_length=1, max_length=100)
    """The `runbook_search` call that found it."""
    link: str = Field("", max_length=600)
    """Where to read it: `/api/v1/runbooks/{id}#{section slug}` (filled in when not given)."""

    @model_validator(mode="before")
    @classmethod
    def _default_link(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("link") and data.get("runbook_id"):
            data = data | {
                "link": f"/api/v1/runbooks/{data['runbook_id']}#{slug(data.get('section', ''))}"
            }
        return data


class SimilarIncident(_Strict):
    """A resolved incident like this one, as the memory found it."""

    incident_id: str = Field(min_length=1, max_length=200)
    summary: str = Field(max_length=4000)
    score: float
    resolution: str = Field("", max_length=4000)
    call_id: str = Field(min_length=1, max_length=100)
    """The `similar_incidents` call that found it."""
    link: str = Field("", max_length=300)
    """Where to read it: `/api/v1/incidents/{id}` (filled in when not given)."""

    @model_validator(mode="before")
    @classmethod
    def _default_link(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("link") and data.get("incident_id"):
            data = data | {"link": f"/api/v1/incidents/{data['incident_id']}"}
        return data


class TriageReport(_Strict):
    """The outcome of one investigation."""

    status: Literal["determined", "undetermined", "no_fault"]
    """A root cause backed by evidence; no supported conclusion; or nothing is wrong."""
    summary: str = Field(min_length=1, max_length=8000)
    root_cause: ResourceRef | None = None
    category: Category | None = None
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    evidence: list[Evidence] = []
    recommended_actions: list[RecommendedAction] = []
    runbooks: list[RunbookCitation] = []
    """The runbook sections that match the finding, best first (link: `/api/v1/runbooks/{id}`)."""
    similar_incidents: list[SimilarIncident] = []
    """Resolved incidents like this one, most similar first."""
    flags: list[str] = []
    """Things a person should know about the run itself, e.g. `untrusted_instruction` when
    data the tools returned tried to instruct the agent."""
    mode: str = Field(min_length=1, max_length=100)
    """How it was produced: `none` (analyzers and a template) or the model's provider/name."""

    @model_validator(mode="after")
    def _claims_need_evidence(self) -> TriageReport:
        if self.status == "determined":
            missing = [
                name
                for name, value in (
                    ("root_cause", self.root_cause),
                    ("category", self.category),
                    ("evidence", self.evidence),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"a determined root cause needs {', '.join(missing)}")
        elif self.root_cause is not None:
            raise ValueError(f"a report that is {self.status} names no root cause")
        return self
