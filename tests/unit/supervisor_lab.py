"""Scripted triage runs on the lab: the graph, the supervisor and its specialists, no network."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata

from agents.budget import FREE, Budget, Prices
from agents.llm import ScriptedChatModel
from agents.supervisor import ModelInvestigator, TeamLimits
from agents.triage.graph import TriageContext, build_triage_graph
from incidents.triage_report import ResourceRef, TriageReport
from lab.faults.catalog import apply_fault
from lab.kube.port import LabKubernetes
from lab.world.metrics_port import WorldMetrics
from lab.world.world import LAB_EPOCH, World
from tests.fakes.incidents import StaticIncidents, alert, incident
from tests.unit.lab_tools import run
from tools.context import ToolDeps

USAGE: UsageMetadata = {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150}
"""What every scripted answer says it cost."""
_ids = itertools.count(1)


def call(tool: str, /, **arguments: Any) -> AIMessage:
    """An answer that calls one tool."""
    return calls((tool, arguments))


def calls(*wanted: tuple[str, dict[str, Any]]) -> AIMessage:
    """An answer that calls several tools."""
    return AIMessage(
        content="",
        tool_calls=[{"name": n, "args": a, "id": f"call-{next(_ids)}"} for n, a in wanted],
        usage_metadata=USAGE,
    )


def submit(
    cause: ResourceRef, category: str, *evidence: tuple[str, str], **fields: Any
) -> AIMessage:
    """An answer that submits a report naming `cause`, citing `(call id, excerpt)` pairs."""
    report = {
        "root_cause": cause.model_dump(exclude_none=True),
        "category": category,
        "confidence": 0.9,
        "summary": f"{cause.kind} {cause.name} is at fault.",
        "evidence": [{"call_id": c, "summary": "seen", "excerpt": e} for c, e in evidence],
    }
    return call("submit_report", **(report | fields))


def say(text: str) -> AIMessage:
    """An answer in words."""
    return AIMessage(content=text, usage_metadata=USAGE)


def faulty_world(fault: str | None, target: dict[str, str] | None = None, **params: Any) -> World:
    """Seed 7's lab 30 minutes after `fault` (None: a healthy lab)."""
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    if fault is not None:
        apply_fault(world, fault, target, params)
    world.advance(timedelta(minutes=30))
    return world


def pod_of(world: World, namespace: str, deployment: str) -> str:
    """The name of the first pod of a Deployment."""
    pods = run(LabKubernetes(world.kube).list_pods(namespace=namespace))
    return sorted(p.name for p in pods if p.name.startswith(f"{deployment}-"))[0]


@dataclass
class Triaged:
    """A finished scripted triage run."""

    report: TriageReport
    deps: ToolDeps
    model: ScriptedChatModel
    investigator: ModelInvestigator

    @property
    def tools(self) -> list[str]:
        """The tools called, in order (the run's invocation log)."""
        return [i.tool for i in self.deps.recorder.entries]

    def tool_messages(self) -> list[ToolMessage]:
        """Every tool result the model was shown (the last conversation holds them all)."""
        seen: dict[str, ToolMessage] = {}
        for messages in self.model.received:
            for m in messages:
                if isinstance(m, ToolMessage):
                    seen.setdefault(m.tool_call_id, m)
        return list(seen.values())

    def received_text(self) -> str:
        """Everything the model was sent."""
        sent: list[BaseMessage] = [m for ms in self.model.received for m in ms]
        return "\n".join(str(m.content) for m in sent)


def triage(
    world: World,
    script: list[AIMessage],
    *,
    labels: dict[str, str],
    title: str = "KubePodCrashLooping",
    description: str = "",
    budget: Budget | None = None,
    limits: TeamLimits | None = None,
    prices: Prices = FREE,
) -> Triaged:
    """Open incident 1 with one alert labelled `labels`; triage it with the script."""
    opened = incident(1, title=title, at=world.clock.now(), service="payments", **labels)
    reader = StaticIncidents([opened], [alert(1, opened, summary=title, description=description)])
    deps = ToolDeps(
        kubernetes={"lab": LabKubernetes(world.kube)},
        metrics=WorldMetrics(world),
        incidents=reader,
        clock=world.clock,
    )
    model = ScriptedChatModel(script=script)
    investigator = ModelInvestigator(
        model,
        budget=budget or Budget(),
        prices=prices,
        mode="scripted",
        limits=limits or TeamLimits(),
    )
    context = TriageContext(deps=deps, investigator=investigator)
    state = run(build_triage_graph().ainvoke({"incident_id": 1}, context=context))
    assert model.remaining == 0, f"{model.remaining} scripted answers were not used"
    return Triaged(TriageReport.model_validate(state["report"]), deps, model, investigator)
