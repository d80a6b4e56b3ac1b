"""Triage without a model: run the analyzers where the alerts point and report the best finding.

This is the `none` mode, and the floor every other mode stands on: the supervisor starts from
the same findings. The report names the finding with the most weight (a cause over its
symptoms, then the one seen on most pods), quotes its evidence citing the `k8s_analyze` call
that returned it, and proposes its action. No finding is never a guess: when the alerts named
what to look at (a namespace, workload, pod or node) and every check of it ran and found it
healthy, the report is `no_fault` (the alert is stale, flapping or noise); when the checks
could only look cluster-wide, or could not look, it is `undetermined` and says where it
looked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agents.triage.guards import UNTRUSTED_INSTRUCTION, planted_instructions
from incidents.triage_report import Evidence, TriageReport
from tools.analyzers.tool import FindingView, k8s_analyze
from tools.context import ToolDeps

MAX_EVIDENCE = 6
EVIDENCE_CHARS = 600


@dataclass(frozen=True, kw_only=True)
class Analyzed:
    """One `k8s_analyze` call: where it looked, what it found, or why it could not."""

    call_id: str
    target: dict[str, Any]
    findings: list[FindingView]
    error: str | None = None


async def run_analyzers(deps: ToolDeps, targets: Sequence[dict[str, Any]]) -> list[Analyzed]:
    """Call `k8s_analyze` on each target (logged like any tool call)."""
    analyzed = []
    for target in targets:
        result = await k8s_analyze.run(target, deps)
        analyzed.append(
            Analyzed(
                call_id=result.call_id or "",
                target=dict(target),
                findings=list(result.data or []),
                error=result.error.render() if result.error is not None else None,
            )
        )
    return analyzed


def best_finding(analyzed: Sequence[Analyzed]) -> tuple[FindingView, str] | None:
    """The finding that best explains the incident, with the call that found it."""
    ranked = [(f, a.call_id) for a in analyzed for f in a.findings]
    if not ranked:
        return None
    return max(ranked, key=lambda pair: (pair[0].weight, pair[0].affected, -ranked.index(pair)))


def _where(target: dict[str, Any]) -> str:
    parts = [f"{k} {v}" for k, v in target.items() if k != "cluster"]
    return f"cluster {target.get('cluster')}" + (f" ({', '.join(parts)})" if parts else "")


def _scoped(target: dict[str, Any]) -> bool:
    """The alert named what to look at (a namespace, workload, pod or node), not just a cluster."""
    return any(key != "cluster" for key in target)


def deterministic_report(
    analyzed: Sequence[Analyzed], *, mode: str = "none", planted: bool = False
) -> TriageReport:
    """The report the analyzers alone support; `planted`: an alert tried to instruct the agent.

    The report is flagged `untrusted_instruction` when an alert or a finding's evidence holds
    planted instructions (never acted on: the analyzers follow no text).
    """
    lines = [e for a in analyzed for f in a.findings for e in f.evidence]
    flags = [UNTRUSTED_INSTRUCTION] if planted or planted_instructions(lines) else []
    looked = "; ".join(_where(a.target) for a in analyzed) or "no Kubernetes cluster"
    chosen = best_finding(analyzed)
    if chosen is None:
        errors = [a.error for a in analyzed if a.error]
        if errors and len(errors) == len(analyzed):
            summary = f"Triage could not read {looked}: {errors[0]}"
        elif not errors and analyzed and all(_scoped(a.target) for a in analyzed):
            return TriageReport(
                status="no_fault",
                summary=f"The checks found nothing wrong with {looked}, which the alerts name: "
                "no fault is present now (a stale, flapping or noisy alert).",
                flags=flags,
                mode=mode,
            )
        else:
            summary = (
                f"The checks found no fault in {looked}; the cause lies outside what they "
                "cover (or the alert has cleared)."
            )
        return TriageReport(status="undetermined", summary=summary, flags=flags, mode=mode)
    finding, call_id = chosen
    others = [
        f.summary for a in analyzed for f in a.findings if f is not finding and f.weight < 1.0
    ][:3]
    summary = finding.summary + "."
    if others:
        summary += " Related symptoms: " + "; ".join(others) + "."
    if finding.proposed_action is not None and finding.proposed_action.reason:
        summary += (
            f" Proposed: {finding.proposed_action.action} ({finding.proposed_action.reason})."
        )
    evidence = [
        Evidence(
            summary=line[:EVIDENCE_CHARS],
            tool=k8s_analyze.name,
            call_id=call_id,
            excerpt=line[:EVIDENCE_CHARS],
        )
        for line in finding.evidence[:MAX_EVIDENCE]
    ]
    return TriageReport(
        status="determined",
        summary=summary,
        root_cause=finding.resource,
        category=finding.category,
        confidence=round(0.5 + 0.45 * finding.weight, 2),
        evidence=evidence,
        recommended_actions=[finding.proposed_action] if finding.proposed_action else [],
        flags=flags,
        mode=mode,
    )
