"""What one investigation's tool calls returned, kept by call id so that evidence can be checked.

The invocation log (`ToolDeps.recorder`) says which calls were made; `CallRecord` keeps what
each returned, as the model was shown it and as the data's own strings, so that a report's
evidence is accepted only when its excerpt is words of the call it cites. It also scans every
untrusted output for planted instructions (`agents/triage/guards.py`), to flag the report.

`ReadToolCall` offers one read tool to a `ToolLoop`: it runs through the tool's `run` (so the
run's invocation log has it, with its call id), keeps the output here and fences untrusted
data for the model.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from agents.loop import Observation, function
from agents.prompts.fence import for_model
from agents.triage.guards import planted_instructions
from tools.context import ToolDeps
from tools.decorators import ReadTool
from tools.result import ToolResult, ToolStatus

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True, kw_only=True)
class Planted:
    """Untrusted text that reads as an instruction to the agent."""

    source: str
    """Where it came from: `call t3`, `alerts of incident 12`."""
    text: str


class CallRecord:
    """The outputs of a run's tool calls by call id, and the planted instructions among them."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}
        self._planted: list[Planted] = []

    def keep(self, call_id: str, shown: str, data: object = None) -> None:
        """Keep what call `call_id` returned: the text shown and the data's strings."""
        self._texts[call_id] = [_normal(shown), *(_normal(s) for s in _strings(data))]

    def keep_result(self, result: ToolResult[Any]) -> None:
        """Keep a tool's result (and scan it when it is untrusted)."""
        if result.call_id is None:
            return
        self.keep(result.call_id, result.render(), result.data)
        if result.untrusted:
            self.scan(f"call {result.call_id}", [result.message or "", result.body()])

    def scan(self, source: str, texts: Iterable[str]) -> list[Planted]:
        """Note the lines of untrusted `texts` that try to instruct the agent."""
        lines = [line for text in texts for line in text.splitlines() if line.strip()]
        found = [Planted(source=source, text=line) for line in planted_instructions(lines)]
        self._planted.extend(found)
        return found

    @property
    def planted(self) -> list[Planted]:
        """Every planted instruction seen so far."""
        return list(self._planted)

    def has(self, call_id: str) -> bool:
        """Whether the output of `call_id` was kept."""
        return call_id in self._texts

    def quotes(self, call_id: str, excerpt: str) -> bool:
        """Whether `excerpt` is words of what `call_id` returned (spacing and case aside)."""
        wanted = _normal(excerpt)
        return bool(wanted) and any(wanted in text for text in self._texts.get(call_id, []))


def _strings(data: object) -> list[str]:
    """Every string in the data (JSON-escaped in the shown text, as is here)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(to_jsonable_python(data, fallback=str))
    return found


ToolRunner = Callable[[ReadTool[Any, Any], dict[str, Any]], Awaitable[ToolResult[Any]]]
"""Runs a read tool on a run's `ToolDeps` (the chat's runner also streams each call)."""


class ReadToolCall:
    """A read tool offered to a `ToolLoop`, run on the run's `ToolDeps`."""

    metered = True

    def __init__(
        self,
        tool: ReadTool[Any, Any],
        deps: ToolDeps,
        record: CallRecord,
        *,
        runner: ToolRunner | None = None,
    ) -> None:
        """Run `tool` with `deps` (through `runner` when given); keep its results in `record`."""
        self._tool, self._deps, self._record, self._runner = tool, deps, record, runner

    @property
    def name(self) -> str:
        """The tool's name."""
        return self._tool.name

    def definition(self) -> dict[str, Any]:
        """The tool's name, docstring and argument schema."""
        return function(self._tool.name, self._tool.description, self._tool.schema())

    async def call(self, arguments: dict[str, Any]) -> Observation:
        """Run the tool (validated, recorded, bounded) and show its result, fenced if untrusted."""
        if self._runner is not None:
            result = await self._runner(self._tool, arguments)
        else:
            result = await self._tool.run(arguments, self._deps)
        self._record.keep_result(result)
        return Observation(
            content=for_model(result), ok=result.status != ToolStatus.ERROR, ref=result.call_id
        )
