"""A specialist offered to the supervisor as a tool: `ask_<name>(question)`.

Each question runs the specialist's own tool loop (its prompt, its read tools) over the run's
`ToolDeps`, so its calls land in the run's invocation log with their ids; the supervisor gets
the specialist's answer and the list of calls it made, to cite.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.budget import BudgetExceeded, RunMeter
from agents.evidence import CallRecord, ReadToolCall
from agents.loop import LoopLimits, Observation, ToolLoop, function
from agents.specialists import SpecialistSpec
from tools.context import ToolDeps
from tools.decorators import invalid_fields

STOPPED = {
    "max_steps": "reached its step limit",
    "stalled": "stopped making progress",
    "budget": "ran out of the run's budget",
}
"""How a loop that did not conclude ended, in words."""


class Question(BaseModel):
    """The arguments of `ask_<specialist>`."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        description="One precise question, naming what to look at (namespace, pod, node...).",
    )


class AskSpecialist:
    """Asks one specialist; its answer lists the calls it made."""

    metered = False
    """The specialist's own tool calls are metered, not the question."""

    def __init__(
        self,
        spec: SpecialistSpec,
        *,
        model: BaseChatModel,
        deps: ToolDeps,
        record: CallRecord,
        meter: RunMeter,
        limits: LoopLimits,
        context: str,
    ) -> None:
        """Run `spec` with `model` over `deps`; `context` opens each question (the incident)."""
        self.spec, self._model, self._deps, self._record = spec, model, deps, record
        self._meter, self._limits, self._context = meter, limits, context
        self.budget: BudgetExceeded | None = None
        """The run's limit this specialist reached, if it reached one."""

    @property
    def name(self) -> str:
        """`ask_<specialist>`."""
        return self.spec.tool_name

    def definition(self) -> dict[str, Any]:
        """The question as the only argument; the description is the specialist's."""
        return function(
            self.name,
            f"Ask the {self.spec.name} specialist. {self.spec.description}",
            Question.model_json_schema(),
        )

    async def call(self, arguments: dict[str, Any]) -> Observation:
        """Run the specialist's loop on the question; its answer and its calls."""
        try:
            question = Question.model_validate(arguments).question
        except ValidationError as e:
            return Observation(content=f"error: invalid_arguments: {invalid_fields(e)}", ok=False)
        log = self._deps.recorder
        first = len(log)
        tools = [ReadToolCall(tool, self._deps, self._record) for tool in self.spec.tools]
        loop = ToolLoop(self._model, tools, meter=self._meter, limits=self._limits)
        outcome = await loop.run(
            [
                SystemMessage(self.spec.prompt),
                HumanMessage(f"{self._context}\n\nQuestion: {question}"),
            ]
        )
        self.budget = outcome.budget or self.budget
        calls = log.entries[first:]
        made = "; ".join(f"{c.call_id} {c.tool} ({c.status})" for c in calls) or "none"
        parts = [f"The {self.spec.name} specialist answers:", outcome.answer or "(no answer)"]
        if outcome.ended != "answered":
            parts.append(f"(it {STOPPED.get(outcome.ended, outcome.ended)} before answering)")
        parts.append(f"Calls it made: {made}")
        return Observation(content="\n".join(parts), ok=outcome.ended == "answered")
