"""A tool-calling loop over a chat model, with every guard outside the model.

    ask the model ──▶ it calls tools ──▶ run each (guarded) ──▶ ask again ...
                 └─▶ it answers (or a final tool accepts) ──▶ done

The model decides what to call; the loop decides what runs:

- **steps**: at most `max_steps` model calls;
- **budget**: the run's `RunMeter` is checked before each model call (out of time or tokens:
  the loop ends) and before each metered tool call (out of tool calls: the call is answered
  with an error telling the model to conclude from what it has; out of time or tokens: the
  loop ends);
- **duplicates**: a call identical (name and arguments) to one already made is not run; the
  answer says which call already holds the result;
- **unknown tools** and unreadable arguments are answered as errors listing the tools;
- **loops**: `max_stalled` steps in a row that bring nothing new (only refused calls, or text
  where a final tool is required) end the loop. Identical calls are never repeated, so a model
  cycling through the same few calls stalls here.

The loop never raises for the model's mistakes; it does let a tool's bug (an exception that is
not a result) and the model's own failures propagate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)

from agents.budget import BudgetExceeded, MeterCallback, RunMeter

Ending = Literal["answered", "final", "max_steps", "stalled", "budget"]
"""Why a loop ended: a text answer, a final tool accepted its call, or a guard stopped it."""


@dataclass(frozen=True, kw_only=True)
class LoopLimits:
    """Guards of one loop (the run's budget is the meter's)."""

    max_steps: int = 12
    """Model calls."""
    max_stalled: int = 3
    """Steps in a row that bring nothing new."""


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What a tool call gives back to the model."""

    content: str
    """The text the model reads (untrusted parts already fenced)."""
    ok: bool = True
    ref: str | None = None
    """The call id of the result (`t3`), for tools that are in the invocation log."""
    final: bool = False
    """The call concludes the loop (an accepted report)."""


class LoopTool(Protocol):
    """A tool the loop can offer and run."""

    @property
    def name(self) -> str:
        """What the model calls it."""
        ...

    @property
    def metered(self) -> bool:
        """Whether a call counts against the run's tool-call budget."""
        ...

    def definition(self) -> dict[str, Any]:
        """The tool in OpenAI's `{"type": "function", ...}` form, for `bind_tools`."""
        ...

    async def call(self, arguments: dict[str, Any]) -> Observation:
        """Run one call."""
        ...


@dataclass(frozen=True, kw_only=True)
class LoopOutcome:
    """How a loop ended, with everything said."""

    ended: Ending
    answer: str
    """The model's last text (its answer when `ended` is `answered`)."""
    messages: list[BaseMessage]
    steps: int
    budget: BudgetExceeded | None = None
    """The limit the run reached, if one was (the loop may still have concluded)."""


def function(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool definition in OpenAI's form."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


class ToolLoop:
    """Runs one agent: a model, its tools, its guards, the run's meter."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: Sequence[LoopTool],
        *,
        meter: RunMeter,
        limits: LoopLimits = LoopLimits(),
        final_tool: str | None = None,
    ) -> None:
        """Offer `tools` to `model`.

        Args:
            model: A chat model that can bind tools.
            tools: What it may call (distinct names).
            meter: The run's meter and budget, shared by every loop of the run.
            limits: Steps and stalls.
            final_tool: When set, only this tool's accepted call ends the loop: a text answer
                is met with a request to call it (and counts as a step without progress).
        """
        self._tools = {tool.name: tool for tool in tools}
        if len(self._tools) != len(tools):
            raise ValueError(f"tool names repeat: {[t.name for t in tools]}")
        self._model = model.bind_tools([tool.definition() for tool in tools])
        self._meter, self._limits, self._final_tool = meter, limits, final_tool
        self._seen: dict[str, str] = {}
        self._budget: BudgetExceeded | None = None

    async def run(self, messages: Sequence[BaseMessage]) -> LoopOutcome:
        """Run until an answer, a final call or a guard, from the conversation so far.

        One loop runs once: what it has seen is what guards its duplicates.
        """
        said = list(messages)
        stalled, answer = 0, ""
        for step in range(1, self._limits.max_steps + 1):
            try:
                self._meter.check_llm_call()
                reply = await self._model.ainvoke(
                    said, config={"callbacks": [MeterCallback(self._meter)]}
                )
            except BudgetExceeded as e:
                self._budget = e
                return self._end("budget", answer, said, step - 1)
            if not isinstance(reply, AIMessage):
                raise TypeError(f"the model answered a {type(reply).__name__}, not an AIMessage")
            said.append(reply)
            answer = reply.text or answer
            calls = _calls(reply)
            if not calls and self._final_tool is None:
                return self._end("answered", answer, said, step)
            if not calls:
                said.append(HumanMessage(f"Conclude by calling {self._final_tool}."))
            progress = False
            for call in calls:
                observation, new = await self._answer(call)
                if observation is None:
                    return self._end("budget", answer, said, step)
                said.append(_message(call, observation))
                progress = progress or new
                if observation.final:
                    return self._end("final", answer, said, step)
            stalled = 0 if progress else stalled + 1
            if stalled >= self._limits.max_stalled:
                return self._end("stalled", answer, said, step)
        return self._end("max_steps", answer, said, self._limits.max_steps)

    def _end(self, ended: Ending, answer: str, said: list[BaseMessage], steps: int) -> LoopOutcome:
        return LoopOutcome(
            ended=ended, answer=answer, messages=said, steps=steps, budget=self._budget
        )

    async def _answer(self, call: _Call) -> tuple[Observation | None, bool]:
        """The observation for one call and whether it brought anything new (None: stop)."""
        tool = self._tools.get(call.name)
        if tool is None:
            known = ", ".join(self._tools)
            return _refused(f"there is no tool named {call.name!r}; the tools are: {known}"), False
        if call.arguments is None:
            return _refused(f"the arguments of {call.name} could not be read ({call.error})"), False
        key = call.name + json.dumps(call.arguments, sort_keys=True, default=str)
        if key in self._seen:
            return _refused(
                f"not run: {call.name} was already called with these arguments; its result is "
                f"above ({self._seen[key]}). Use it (cite it) instead of calling again."
            ), False
        if tool.metered:
            try:
                self._meter.start_tool_call(call.name)
            except BudgetExceeded as e:
                self._budget = e
                if e.limit != "tool_calls":
                    return None, False
                conclude = "Conclude now from the results you have."
                return _refused(f"not run: {e.message}. {conclude}"), False
        observation = await tool.call(call.arguments)
        self._seen[key] = observation.ref or "the earlier call"
        return observation, True


@dataclass(frozen=True)
class _Call:
    id: str
    name: str
    arguments: dict[str, Any] | None
    """None when the model's arguments could not be read."""
    error: str | None = None


def _calls(reply: AIMessage) -> list[_Call]:
    """The reply's tool calls in order, the unreadable ones last."""
    calls = [_Call(c.get("id") or "", c["name"], dict(c["args"])) for c in reply.tool_calls]
    calls += [
        _Call(c.get("id") or "", c.get("name") or "", None, c.get("error") or "not a JSON object")
        for c in reply.invalid_tool_calls
    ]
    return calls


def _refused(reason: str) -> Observation:
    return Observation(content=f"error: {reason}", ok=False)


def _message(call: _Call, observation: Observation) -> ToolMessage:
    return ToolMessage(
        content=observation.content,
        tool_call_id=call.id,
        name=call.name,
        status="success" if observation.ok else "error",
    )
