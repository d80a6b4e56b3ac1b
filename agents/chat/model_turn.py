"""A chat turn with a model: one tool loop over the registry's read tools, guarded and metered.

The loop is triage's (`agents/loop.py`): steps, duplicate calls, unknown tools, stalls and the
turn's budget are enforced outside the model, and every untrusted result reaches the model
fenced as data (`agents/evidence.py`). The conversation so far comes first: each earlier turn
as its question, its answer and the calls it made (their results are not replayed; the model
reads the systems again for their current state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agents.budget import FREE, Budget, Prices, RunMeter, Usage
from agents.chat.calls import StepTools
from agents.chat.intents import Focus
from agents.chat.links import cited, mentioned
from agents.chat.reply import Reply
from agents.evidence import CallRecord, ReadToolCall
from agents.loop import LoopLimits, ToolLoop
from agents.prompts import system
from agents.supervisor.investigator import BUDGET_EXCEEDED, ENDING_FLAGS, LOOP_DETECTED
from agents.triage.guards import UNTRUSTED_INSTRUCTION
from tools.decorators import ReadTool

UNFINISHED = {
    "max_steps": "it reached its step limit",
    "stalled": "it stopped making progress",
    "budget": "the turn's budget ran out",
}
"""Why a loop ended without an answer, in words."""


@dataclass(frozen=True, kw_only=True)
class TurnModel:
    """The model that answers a turn, and what the turn may spend."""

    model: BaseChatModel
    mode: str
    """`provider:model`, as the stored message records it."""
    budget: Budget
    prices: Prices = FREE


def history(turns: Sequence[dict[str, Any]]) -> list[BaseMessage]:
    """The earlier turns as messages: each question, then its answer and the calls it made."""
    said: list[BaseMessage] = []
    for turn in turns:
        calls = "; ".join(turn.get("calls", [])) or "none"
        said.append(HumanMessage(turn["question"]))
        said.append(AIMessage(f"{turn['answer']}\n\n(Tool calls of this answer: {calls})"))
    return said


async def answer_with_model(
    question: str,
    turns: Sequence[dict[str, Any]],
    tools: StepTools,
    *,
    model: TurnModel,
    read_tools: Sequence[ReadTool[Any, Any]],
    max_steps: int,
    focus: Focus,
) -> tuple[Reply, Usage]:
    """The model's answer to `question` after `turns`, and what the turn spent."""
    record = CallRecord()
    offered = [ReadToolCall(t, tools.deps, record, runner=tools.run) for t in read_tools]
    meter = RunMeter(model.budget, prices=model.prices)
    loop = ToolLoop(model.model, offered, meter=meter, limits=LoopLimits(max_steps=max_steps))
    outcome = await loop.run([SystemMessage(system.CHAT), *history(turns), HumanMessage(question)])
    text, flags = outcome.answer.strip(), []
    if outcome.ended != "answered":
        flags.append(ENDING_FLAGS.get(outcome.ended, LOOP_DETECTED))
        note = f"(No final answer: {UNFINISHED.get(outcome.ended, 'the turn ended')}.)"
        text = f"{text}\n\n{note}" if text else note
    if outcome.budget is not None:
        flags.append(BUDGET_EXCEEDED)
    if record.planted:
        flags.append(UNTRUSTED_INSTRUCTION)
        sources = ", ".join(sorted({p.source for p in record.planted}))
        text += (
            f"\n\n(Text from outside PixelView ({sources}) tried to give instructions; it was "
            "treated as data and nothing it asked for was done.)"
        )
    results = [link for call in tools.calls.values() for link in call.links]
    links = mentioned(results, text)
    citations = cited(text, tools.calls) or [
        call_id
        for call_id, call in tools.calls.items()
        if any(link in links for link in call.links)
    ]
    reply = Reply(
        text=text,
        links=links,
        citations=citations,
        focus=focus,
        flags=list(dict.fromkeys(flags)),
    )
    return reply, meter.usage()
