"""The triage graph: load the incident, run the analyzers, investigate, write the report.

    load ──▶ analyze ──▶ remember ──▶ investigate (with a model) ──▶ report
                                 └─────────────────────────────────▶ report   (mode `none`)

State holds only plain data (ids, arguments, findings as JSON, the report as JSON), so every
step is checkpointed in the database; the run's ports, readers, model and budget travel in
the runtime context, never in the state. The deterministic report is written first and the
model's investigation may replace it only with a report that itself cites evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.triage.deterministic import Analyzed, deterministic_report, run_analyzers
from agents.triage.guards import planted_instructions
from agents.triage.recall import cite, recall
from agents.triage.scope import analyze_targets
from incidents.models.incident import Incident
from incidents.triage_report import TriageReport
from tools.analyzers.tool import FindingView
from tools.context import ToolDeps

NOTHING_RECALLED: dict[str, list[dict[str, Any]]] = {"runbooks": [], "similar": []}
ALERTS_READ = 50
"""Alerts of the incident whose labels choose where the analyzers look."""


@dataclass(frozen=True, kw_only=True)
class ModelSpend:
    """What a run's model calls cost."""

    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0


class Investigator(Protocol):
    """A model-driven investigation (the supervisor and its specialists)."""

    mode: str
    """`provider:model`, as the report records it."""

    def spent(self) -> ModelSpend:
        """The model calls, tokens and cost so far."""
        ...

    async def investigate(
        self, *, deps: ToolDeps, incident: Incident, analyzed: list[Analyzed], draft: TriageReport
    ) -> TriageReport:
        """A report that cites evidence from its own tool calls (or the draft, unchanged)."""
        ...


@dataclass(frozen=True, kw_only=True)
class TriageContext:
    """What one run works with: the tools' dependencies and, with a model, the investigator."""

    deps: ToolDeps
    investigator: Investigator | None = None


class TriageState(TypedDict, total=False):
    """The checkpointed state of a triage run."""

    incident_id: int
    targets: list[dict[str, Any]]
    analyzed: list[dict[str, Any]]
    recalled: dict[str, list[dict[str, Any]]]
    report: dict[str, Any]
    planted: bool
    """An alert's text tries to instruct the agent (the report is flagged)."""


async def load(state: TriageState, runtime: Runtime[TriageContext]) -> TriageState:
    """Where to look: the scopes and clusters the incident's alerts name."""
    deps = runtime.context.deps
    incident = await deps.incidents.get(state["incident_id"])
    alerts = await deps.incidents.alerts(incident.id or 0, limit=ALERTS_READ)
    labels = [dict(a.labels) for a in alerts] or [dict(incident.labels)]
    texts = [incident.title] + [
        text for a in alerts for text in (a.summary, a.description or "", *a.annotations.values())
    ]
    return {
        "targets": analyze_targets(labels, list(deps.kubernetes)),
        "planted": bool(planted_instructions(texts)),
    }


async def analyze(state: TriageState, runtime: Runtime[TriageContext]) -> TriageState:
    """Run the deterministic analyzers on every target."""
    analyzed = await run_analyzers(runtime.context.deps, state.get("targets", []))
    return {"analyzed": [_dump(a) for a in analyzed]}


async def remember(state: TriageState, runtime: Runtime[TriageContext]) -> TriageState:
    """The runbooks and past incidents that match the incident and its best finding."""
    deps = runtime.context.deps
    incident = await deps.incidents.get(state["incident_id"])
    analyzed = [_load(a) for a in state.get("analyzed", [])]
    return {"recalled": await recall(deps, incident, analyzed)}


async def investigate(state: TriageState, runtime: Runtime[TriageContext]) -> TriageState:
    """Let the model investigate from the analyzers' findings, within the run's budget."""
    context = runtime.context
    assert context.investigator is not None  # routed here only with one
    analyzed = [_load(a) for a in state.get("analyzed", [])]
    recalled = state.get("recalled", NOTHING_RECALLED)
    draft = cite(
        deterministic_report(
            analyzed, mode=context.investigator.mode, planted=state.get("planted", False)
        ),
        recalled,
    )
    incident = await context.deps.incidents.get(state["incident_id"])
    report = await context.investigator.investigate(
        deps=context.deps, incident=incident, analyzed=analyzed, draft=draft
    )
    return {"report": cite(report, recalled).model_dump(mode="json")}


async def report(state: TriageState, runtime: Runtime[TriageContext]) -> TriageState:
    """The analyzers' report, unless an investigation already wrote one."""
    del runtime
    if "report" in state:
        return {}
    analyzed = [_load(a) for a in state.get("analyzed", [])]
    recalled = state.get("recalled", NOTHING_RECALLED)
    drafted = deterministic_report(analyzed, planted=state.get("planted", False))
    return {"report": cite(drafted, recalled).model_dump(mode="json")}


def _route(state: TriageState, runtime: Runtime[TriageContext]) -> str:
    del state
    return "investigate" if runtime.context.investigator is not None else "report"


def _dump(analyzed: Analyzed) -> dict[str, Any]:
    return {
        "call_id": analyzed.call_id,
        "target": analyzed.target,
        "findings": [f.model_dump(mode="json") for f in analyzed.findings],
        "error": analyzed.error,
    }


def _load(data: dict[str, Any]) -> Analyzed:
    return Analyzed(
        call_id=data["call_id"],
        target=data["target"],
        findings=[FindingView.model_validate(f) for f in data["findings"]],
        error=data["error"],
    )


def build_triage_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[TriageState, TriageContext, TriageState, TriageState]:
    """The compiled triage graph, checkpointed by `checkpointer` when given."""
    graph = StateGraph(TriageState, context_schema=TriageContext)
    graph.add_node("load", load)
    graph.add_node("analyze", analyze)
    graph.add_node("remember", remember)
    graph.add_node("investigate", investigate)
    graph.add_node("report", report)
    graph.add_edge(START, "load")
    graph.add_edge("load", "analyze")
    graph.add_edge("analyze", "remember")
    graph.add_conditional_edges("remember", _route, ["investigate", "report"])
    graph.add_edge("investigate", "report")
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)
