"""`submit_report`: the supervisor's one way to conclude, checked outside the model.

A submission is accepted only when every evidence item cites a call of this run's invocation
log whose output holds the quoted excerpt, the root cause is a valid resource reference, the
category is one of the taxonomy's, and the report as a whole is valid (a determined cause
cites evidence). Otherwise the model is told each reason and the loop goes on. Recommended
actions of the deny list (`FORBIDDEN_ACTIONS`) are dropped from an accepted report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.utils.json_schema import dereference_refs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.evidence import CallRecord
from agents.loop import Observation, function
from agents.triage.guards import FORBIDDEN_ACTIONS
from incidents.triage_report import (
    Category,
    Evidence,
    RecommendedAction,
    ResourceRef,
    TriageReport,
)
from tools.context import InvocationLog
from tools.decorators import invalid_fields

SUBMIT_REPORT = "submit_report"


class CitedEvidence(BaseModel):
    """One fact, the call it came from, and words of that call's output."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(description="The call id of the tool result, such as t3.")
    summary: str = Field(min_length=1, description="The fact, in one sentence.")
    excerpt: str = Field(
        min_length=3, description="Words copied exactly from that call's output that show it."
    )


class ReportSubmission(BaseModel):
    """The arguments of `submit_report`."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["determined", "undetermined", "no_fault"] = Field(
        "determined",
        description="determined: a root cause the evidence shows; undetermined: no supported "
        "conclusion; no_fault: nothing is wrong.",
    )
    root_cause: ResourceRef | None = Field(
        None, description="The resource to fix (only when determined)."
    )
    category: Category | None = Field(None, description="The fault's category.")
    confidence: float = Field(0.5, ge=0.0, le=1.0, description="How sure, from 0 to 1.")
    summary: str = Field(min_length=1, description="What happened and why, in a few sentences.")
    evidence: list[CitedEvidence] = Field(
        default_factory=list, description="The facts the conclusion rests on, each cited."
    )
    recommended_actions: list[RecommendedAction] = Field(
        default_factory=list,
        description="Remediation actions to propose to a person (never run here), such as "
        "kubernetes.set_memory_limit with its parameters.",
    )


@dataclass(kw_only=True)
class Review:
    """A submission checked: the report when accepted, else the reasons."""

    report: TriageReport | None = None
    reasons: list[str] = field(default_factory=list)
    dropped: list[RecommendedAction] = field(default_factory=list)
    """Forbidden actions removed from an accepted report."""


def review(
    arguments: dict[str, Any], *, log: InvocationLog, record: CallRecord, mode: str
) -> Review:
    """Check a submission against the run's calls; the report, or why it is refused."""
    try:
        submission = ReportSubmission.model_validate(arguments)
    except ValidationError as e:
        return Review(reasons=[invalid_fields(e)])
    reasons, evidence = [], []
    for n, item in enumerate(submission.evidence, start=1):
        call = log.get(item.call_id)
        if call is None or not record.has(item.call_id):
            known = ", ".join(i.call_id for i in log.entries) or "none"
            reasons.append(f"evidence {n}: there is no call {item.call_id} (the calls: {known})")
            continue
        if not record.quotes(item.call_id, item.excerpt):
            reasons.append(
                f"evidence {n}: the excerpt is not in the output of {item.call_id} "
                f"({call.tool}); copy the words exactly"
            )
            continue
        evidence.append(
            Evidence(
                summary=item.summary, tool=call.tool, call_id=item.call_id, excerpt=item.excerpt
            )
        )
    if reasons:
        return Review(reasons=reasons)
    kept = [a for a in submission.recommended_actions if a.action not in FORBIDDEN_ACTIONS]
    dropped = [a for a in submission.recommended_actions if a.action in FORBIDDEN_ACTIONS]
    try:
        report = TriageReport(
            status=submission.status,
            summary=submission.summary,
            root_cause=submission.root_cause,
            category=submission.category,
            confidence=submission.confidence,
            evidence=evidence,
            recommended_actions=kept,
            mode=mode,
        )
    except ValidationError as e:
        return Review(reasons=[err["msg"].removeprefix("Value error, ") for err in e.errors()])
    return Review(report=report, dropped=dropped)


class SubmitReport:
    """The supervisor's `submit_report` tool: ends the loop once a submission is accepted."""

    name = SUBMIT_REPORT
    metered = False

    def __init__(self, *, log: InvocationLog, record: CallRecord, mode: str) -> None:
        """Check submissions against `log` and the outputs in `record`."""
        self._log, self._record, self._mode = log, record, mode
        self.accepted: Review | None = None
        self.rejected = 0

    def definition(self) -> dict[str, Any]:
        """The report's fields as the tool's arguments."""
        schema = dereference_refs(ReportSubmission.model_json_schema(), skip_keys=[])
        schema.pop("$defs", None)
        return function(
            SUBMIT_REPORT,
            "Submit the triage report. Every evidence item cites a call id and quotes its "
            "output; a submission that does not check out is refused with the reasons.",
            schema,
        )

    async def call(self, arguments: dict[str, Any]) -> Observation:
        """Accept the report (ending the loop) or say why not."""
        checked = review(arguments, log=self._log, record=self._record, mode=self._mode)
        if checked.report is None:
            self.rejected += 1
            reasons = "\n".join(f"- {r}" for r in checked.reasons)
            return Observation(
                content=f"error: report refused:\n{reasons}\nCorrect it and submit again.",
                ok=False,
            )
        self.accepted = checked
        return Observation(content="report accepted", final=True)
