"""Conversations on the lab: the chat graph over a lab world, checkpointed in memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langgraph.checkpoint.memory import InMemorySaver

from agents.chat import (
    STEPS,
    AnswerStep,
    ChatLimits,
    ChatStep,
    ToolCallStep,
    TurnModel,
)
from agents.chat.graph import ChatContext, build_chat_graph
from connectors.kubernetes.port import KubernetesPort
from incidents.reader import IncidentReader
from lab.kube.port import LabKubernetes
from lab.world.metrics_port import WorldMetrics
from lab.world.world import World
from memory.port import MemoryStore
from tests.fakes.incidents import StaticIncidents
from tests.unit.lab_tools import run
from tools.catalog import default_registry
from tools.context import ToolDeps
from tools.registry import ToolRegistry

S = TypeVar("S")


@dataclass
class Chat:
    """One conversation: each `ask` is a turn of the same LangGraph thread."""

    context: ChatContext
    saver: InMemorySaver = field(default_factory=InMemorySaver)
    thread: str = "chat-thread-1"

    def ask(self, question: str) -> list[ChatStep]:
        """Every step of the answer, in the order they streamed."""

        async def turn() -> list[ChatStep]:
            graph = build_chat_graph(self.saver)
            config: Any = {"configurable": {"thread_id": self.thread}}
            return [
                STEPS.validate_python(step)
                async for step in graph.astream(
                    {"question": question},
                    config=config,
                    context=self.context,
                    stream_mode="custom",
                )
            ]

        return run(turn())

    def state(self) -> dict[str, Any]:
        """The thread's checkpointed state."""
        config: Any = {"configurable": {"thread_id": self.thread}}
        return dict(build_chat_graph(self.saver).get_state(config).values)


def chat_on(
    world: World,
    *,
    clusters: Mapping[str, KubernetesPort] | None = None,
    incidents: IncidentReader | None = None,
    memory: MemoryStore | None = None,
    model: TurnModel | None = None,
    registry: ToolRegistry | None = None,
    limits: ChatLimits | None = None,
) -> Chat:
    """A conversation over `world`'s cluster as `lab` (or over `clusters`), on its clock."""
    deps = ToolDeps(
        kubernetes={"lab": LabKubernetes(world.kube)} if clusters is None else clusters,
        metrics=WorldMetrics(world),
        memory=memory,
        incidents=incidents or StaticIncidents([]),
        clock=world.clock,
    )
    return Chat(
        ChatContext(
            deps=deps,
            tools=tuple((registry or default_registry()).read_tools()),
            model=model,
            limits=limits or ChatLimits(),
        )
    )


def of(steps: list[ChatStep], kind: type[S]) -> list[S]:
    """The steps of one kind."""
    return [s for s in steps if isinstance(s, kind)]


def answer(steps: list[ChatStep]) -> AnswerStep:
    """The turn's answer (the last step)."""
    last = steps[-1]
    assert isinstance(last, AnswerStep), steps
    return last


def calls(steps: list[ChatStep]) -> list[tuple[str, str, dict[str, Any]]]:
    """`(call id, tool, arguments)` of each tool call, in order."""
    return [(s.call_id, s.tool, s.arguments) for s in of(steps, ToolCallStep)]


def kinds(steps: list[ChatStep]) -> list[str]:
    """The kind of each step, in order."""
    return [s.kind for s in steps]
