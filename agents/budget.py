"""What one agent run may spend, and what it has spent: tool calls, tokens, seconds, cost.

A `RunMeter` counts every model call (tokens from the message's `usage_metadata`,
cost from `Prices`), every tool call and the seconds since the run began, and
says which limit of its `Budget` is reached. The limits are enforced here, around
the model, never by asking the model to stop: `MeterCallback` refuses a model call
or a tool call once the run is over budget, by raising `BudgetExceeded`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from core.errors import PixelViewError

Limit = Literal["tool_calls", "tokens", "seconds"]


@dataclass(frozen=True, kw_only=True)
class Budget:
    """Limits of one run; `None` leaves that quantity unlimited."""

    max_tool_calls: int | None = None
    max_tokens: int | None = None
    """Input and output tokens of every model call of the run, added up."""
    max_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class Prices:
    """Price of a million tokens; the local model and scripted models cost nothing."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    def cost(self, *, input_tokens: int, output_tokens: int) -> float:
        """The price of one call."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


FREE = Prices()


class BudgetExceeded(PixelViewError):
    """A run reached one of its limits; `limit` says which."""

    code = "budget_exceeded"

    def __init__(self, limit: Limit, *, used: float, allowed: float) -> None:
        self.limit: Limit = limit
        self.used = used
        self.allowed = allowed
        units = {"tool_calls": "tool calls", "tokens": "tokens", "seconds": "seconds"}[limit]
        super().__init__(f"run budget reached: {used:g} of {allowed:g} {units} used")


@dataclass(frozen=True, kw_only=True)
class LlmCall:
    """One model call as metered."""

    model: str | None
    input_tokens: int
    output_tokens: int
    cost: float


@dataclass(frozen=True, kw_only=True)
class Usage:
    """What a run has spent so far."""

    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost: float
    tool_calls: int
    seconds: float

    @property
    def tokens(self) -> int:
        """Input and output tokens together."""
        return self.input_tokens + self.output_tokens


class RunMeter:
    """Counts one run's model calls, tokens, cost, tool calls and time against a `Budget`.

    Thread-safe: specialists of one run may call models and tools in parallel.
    """

    def __init__(
        self,
        budget: Budget,
        *,
        prices: Prices = FREE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start the run's clock now, as `monotonic` tells it (seconds)."""
        self.budget = budget
        self.prices = prices
        self._monotonic = monotonic
        self._started = monotonic()
        self._lock = threading.Lock()
        self._calls: list[LlmCall] = []
        self._tool_calls: list[str] = []

    @property
    def calls(self) -> Sequence[LlmCall]:
        """Every model call so far, in order."""
        with self._lock:
            return tuple(self._calls)

    @property
    def tool_names(self) -> Sequence[str]:
        """The name of every tool called so far, in order."""
        with self._lock:
            return tuple(self._tool_calls)

    def record_llm_call(
        self, *, input_tokens: int, output_tokens: int, model: str | None = None
    ) -> LlmCall:
        """Count one model call and its tokens; its cost comes from the meter's prices."""
        call = LlmCall(
            model=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=self.prices.cost(input_tokens=input_tokens, output_tokens=output_tokens),
        )
        with self._lock:
            self._calls.append(call)
        return call

    def record_message(self, message: BaseMessage, *, model: str | None = None) -> LlmCall:
        """Count one model call from the answer's `usage_metadata` (no usage: zero tokens)."""
        usage = message.usage_metadata if isinstance(message, AIMessage) else None
        return self.record_llm_call(
            input_tokens=usage["input_tokens"] if usage else 0,
            output_tokens=usage["output_tokens"] if usage else 0,
            model=model,
        )

    def usage(self) -> Usage:
        """What the run has spent so far."""
        with self._lock:
            return Usage(
                llm_calls=len(self._calls),
                input_tokens=sum(c.input_tokens for c in self._calls),
                output_tokens=sum(c.output_tokens for c in self._calls),
                cost=sum(c.cost for c in self._calls),
                tool_calls=len(self._tool_calls),
                seconds=self._monotonic() - self._started,
            )

    def exceeded(self) -> BudgetExceeded | None:
        """The first limit the run has reached (time, then tokens, then tool calls), if any.

        A limit is reached when the run has used all of it: with `max_tool_calls=3`,
        three tool calls reach it and a fourth may not start.
        """
        used = self.usage()
        budget = self.budget
        if budget.max_seconds is not None and used.seconds >= budget.max_seconds:
            return BudgetExceeded(
                "seconds", used=round(used.seconds, 3), allowed=budget.max_seconds
            )
        if budget.max_tokens is not None and used.tokens >= budget.max_tokens:
            return BudgetExceeded("tokens", used=used.tokens, allowed=budget.max_tokens)
        if budget.max_tool_calls is not None and used.tool_calls >= budget.max_tool_calls:
            return BudgetExceeded("tool_calls", used=used.tool_calls, allowed=budget.max_tool_calls)
        return None

    def check(self) -> None:
        """Raise `BudgetExceeded` when a limit is reached: call before more work."""
        problem = self.exceeded()
        if problem is not None:
            raise problem

    def check_llm_call(self) -> None:
        """Raise `BudgetExceeded` when the run may not call the model again (time or tokens)."""
        problem = self.exceeded()
        if problem is not None and problem.limit != "tool_calls":
            raise problem

    def start_tool_call(self, name: str) -> None:
        """Count a tool call about to run, or raise `BudgetExceeded` and count nothing."""
        with self._lock:
            allowed = self.budget.max_tool_calls
            if allowed is not None and len(self._tool_calls) >= allowed:
                raise BudgetExceeded("tool_calls", used=len(self._tool_calls), allowed=allowed)
            self._tool_calls.append(name)
        problem = self.exceeded()
        if problem is not None and problem.limit != "tool_calls":
            raise problem


class MeterCallback(BaseCallbackHandler):
    """A LangChain callback that meters a run and enforces its budget.

    Pass it in a run's config (`{"callbacks": [MeterCallback(meter)]}`): every chat
    model call is checked before it is sent (time and tokens) and counted with its
    usage when it returns; every tool call is checked and counted before it runs.
    A refusal raises `BudgetExceeded` out of the model or tool call.
    """

    raise_error = True
    """Exceptions from this handler abort the call instead of being logged."""
    run_inline = True
    """Count in the caller's thread, in order."""

    def __init__(self, meter: RunMeter) -> None:
        self.meter = meter

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Refuse the call when the run is out of time or tokens."""
        del serialized, messages, run_id, kwargs
        self.meter.check_llm_call()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Count the call and the tokens its answer reports."""
        del run_id, kwargs
        model = _model_name(response)
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration):
                    self.meter.record_message(generation.message, model=model)

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Count the tool call, or refuse it when the run is over budget."""
        del input_str, run_id, kwargs
        self.meter.start_tool_call(str(serialized.get("name", "?")))


def _model_name(response: LLMResult) -> str | None:
    output = response.llm_output or {}
    name = output.get("model_name") or output.get("model")
    if name is None:
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration):
                    meta = generation.message.response_metadata
                    name = meta.get("model_name") or meta.get("model")
                    if name:
                        break
    return str(name) if name else None
