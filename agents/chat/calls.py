"""Tool calls of a chat turn, streamed: a `tool_call` step before each, a `tool_result` after.

Both answerers (the model's tool loop and the deterministic one) run their tools through
`StepTools`, so a client sees the same steps whichever answered. Only read tools run here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agents.chat.links import result_links
from agents.chat.steps import ChatStep, Link, ToolCallStep, ToolResultStep
from tools.context import ToolDeps
from tools.decorators import ReadTool, WriteTool
from tools.result import ToolResult, ToolStatus

SUMMARY_CHARS = 200

Emit = Callable[[ChatStep], None]
"""Sends a step to whoever streams the turn."""


@dataclass(frozen=True, kw_only=True)
class Called:
    """A tool call of the turn and what it returned."""

    tool: str
    arguments: dict[str, Any]
    result: ToolResult[Any]
    links: list[Link]


class StepTools:
    """Runs read tools on a turn's `ToolDeps`, streaming each call and keeping its result."""

    def __init__(self, deps: ToolDeps, emit: Emit) -> None:
        """Call tools with `deps`; send their steps to `emit`."""
        self.deps, self._emit = deps, emit
        self.calls: dict[str, Called] = {}
        """This turn's calls by call id, in order."""

    async def run(self, tool: ReadTool[Any, Any], arguments: Mapping[str, Any]) -> ToolResult[Any]:
        """Run one call: the `tool_call` step, the call (validated, recorded), the result step."""
        if isinstance(tool, WriteTool) or not isinstance(tool, ReadTool):
            raise TypeError(f"{getattr(tool, 'name', tool)!r} is not a read tool: chat only reads")
        given = dict(arguments)
        call_id = self.deps.recorder.next_id()
        self._emit(ToolCallStep(call_id=call_id, tool=tool.name, arguments=given))
        result = await tool.run(given, self.deps)
        links = result_links(result, given, cluster=self.cluster_of(given))
        self.calls[result.call_id or call_id] = Called(
            tool=tool.name, arguments=given, result=result, links=links
        )
        self._emit(
            ToolResultStep(
                call_id=result.call_id or call_id,
                tool=tool.name,
                ok=result.status != ToolStatus.ERROR,
                status=result.status.value,
                summary=summary(result),
                links=links,
            )
        )
        return result

    def cluster_of(self, arguments: Mapping[str, Any]) -> str | None:
        """The cluster a call reads: the one it names, else the only one."""
        named = arguments.get("cluster")
        if isinstance(named, str):
            return named
        return next(iter(self.deps.kubernetes)) if len(self.deps.kubernetes) == 1 else None


def summary(result: ToolResult[Any]) -> str:
    """One short line for a result: its error, its message, a count, or its first line."""
    if result.error is not None:
        text = f"{result.error.code}: {result.error.message}"
    elif result.message:
        text = result.message
    elif isinstance(result.data, list):
        text = f"{len(result.data)} result{'s' if len(result.data) != 1 else ''}"
    else:
        text = (result.shown or result.body()).split("\n", 1)[0]
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"
