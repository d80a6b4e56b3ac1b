"""The chat graph: one turn of a conversation, answered by a model or deterministically.

    START ──▶ model ─────────▶ END     (a model is configured)
         └──▶ deterministic ──▶ END     (mode `none`)

Each conversation is a LangGraph thread (`chat-thread-<id>`) checkpointed in PixelView's
database; its state is plain data that carries the conversation from turn to turn: the last
turns (question, answer, the calls made), the focus of the deterministic answers, and how many
tool calls the thread has made (so call ids go on: `t7` in the third turn). Steps stream as
they happen through LangGraph's custom stream (`stream_mode="custom"`); ports, the model and
the tools travel in the runtime context, never in the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.budget import Usage
from agents.chat.calls import StepTools
from agents.chat.deterministic import answer_without_model
from agents.chat.intents import Focus
from agents.chat.model_turn import TurnModel, answer_with_model
from agents.chat.reply import Reply
from agents.chat.steps import AnswerStep
from tools.context import InvocationLog, ToolDeps
from tools.decorators import ReadTool
from tools.result import echo


@dataclass(frozen=True, kw_only=True)
class ChatLimits:
    """Guards of a chat turn (the model's budget is the `TurnModel`'s)."""

    max_steps: int = 8
    """Model calls per turn."""
    history_turns: int = 6
    """Earlier turns a model is shown (the thread's messages keep every one)."""
    max_question_chars: int = 4000


@dataclass(frozen=True, kw_only=True)
class ChatContext:
    """What a turn works with."""

    deps: ToolDeps
    """The tools' dependencies; each turn gets an invocation log of its own."""
    tools: tuple[ReadTool[Any, Any], ...]
    """What a model may call: read tools only."""
    model: TurnModel | None = None
    limits: ChatLimits = ChatLimits()


class ChatState(TypedDict, total=False):
    """The checkpointed state of a conversation."""

    question: str
    """This turn's question (the input)."""
    turns: list[dict[str, Any]]
    """The last turns: `{question, answer, calls}`, `calls` as `[t1] tool(args) -> status`."""
    focus: dict[str, Any]
    """What the deterministic answers were last about (namespace, cluster, incident)."""
    calls: int
    """Tool calls the thread has made so far."""
    spent: dict[str, Any]
    """What this turn spent: mode, model calls, tokens, cost, and its invocation log."""


def last(turns: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The last `count` turns (none for 0)."""
    return turns[len(turns) - count :] if count > 0 else []


def _tools(state: ChatState, runtime: Runtime[ChatContext]) -> StepTools:
    deps = replace(runtime.context.deps, recorder=InvocationLog(start=state.get("calls", 0)))
    return StepTools(deps, runtime.stream_writer)


async def deterministic(state: ChatState, runtime: Runtime[ChatContext]) -> ChatState:
    """Answer a recognised question through the tools, without a model."""
    tools = _tools(state, runtime)
    reply = await answer_without_model(state["question"], tools, Focus.load(state.get("focus")))
    return _answered(state, runtime, tools, reply, mode="none", usage=None)


async def model(state: ChatState, runtime: Runtime[ChatContext]) -> ChatState:
    """Let the model answer with the read tools, within the turn's guards and budget."""
    context = runtime.context
    assert context.model is not None  # routed here only with one
    tools = _tools(state, runtime)
    reply, usage = await answer_with_model(
        state["question"],
        last(state.get("turns", []), context.limits.history_turns),
        tools,
        model=context.model,
        read_tools=context.tools,
        max_steps=context.limits.max_steps,
        focus=Focus.load(state.get("focus")),
    )
    return _answered(state, runtime, tools, reply, mode=context.model.mode, usage=usage)


def _answered(
    state: ChatState,
    runtime: Runtime[ChatContext],
    tools: StepTools,
    reply: Reply,
    *,
    mode: str,
    usage: Usage | None,
) -> ChatState:
    """Stream the answer; keep the turn in the conversation."""
    runtime.stream_writer(
        AnswerStep(
            text=reply.text,
            links=reply.links,
            citations=reply.citations,
            mode=mode,
            flags=reply.flags,
        )
    )
    calls = [
        f"[{call_id}] {echo(call.tool, call.arguments)} -> {call.result.status.value}"
        for call_id, call in tools.calls.items()
    ]
    turn = {"question": state["question"], "answer": reply.text, "calls": calls}
    log = tools.deps.recorder
    return {
        "turns": last([*state.get("turns", []), turn], runtime.context.limits.history_turns),
        "focus": reply.focus.dump(),
        "calls": state.get("calls", 0) + len(log),
        "spent": {
            "mode": mode,
            "tool_calls": [i.dump() for i in log.entries],
            "llm_calls": usage.llm_calls if usage else 0,
            "tokens_in": usage.input_tokens if usage else 0,
            "tokens_out": usage.output_tokens if usage else 0,
            "cost": usage.cost if usage else 0.0,
        },
    }


def _route(state: ChatState, runtime: Runtime[ChatContext]) -> str:
    del state
    return "model" if runtime.context.model is not None else "deterministic"


def build_chat_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[ChatState, ChatContext, ChatState, ChatState]:
    """The compiled chat graph, checkpointed by `checkpointer` when given."""
    graph = StateGraph(ChatState, context_schema=ChatContext)
    graph.add_node("model", model)
    graph.add_node("deterministic", deterministic)
    graph.add_conditional_edges(START, _route, ["model", "deterministic"])
    graph.add_edge("model", END)
    graph.add_edge("deterministic", END)
    return graph.compile(checkpointer=checkpointer)
