"""The tool registry: read tools by domain, write tools apart, and binding tools to a run.

Read and write tools are kept in two collections and asked for by two methods: `read_tools` can
only return `ReadTool`s, and `bind_read_tools` refuses anything else at runtime as the type
checker does statically. Write tools are bound only by the remediation graph, one approved
action at a time (`WriteTool.as_langchain` with the approval in `ToolDeps`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.tools import StructuredTool

from tools.context import ToolDeps
from tools.decorators import Domain, ReadTool, WriteTool

AnyRead = ReadTool[Any, Any]
AnyWrite = WriteTool[Any, Any]


class ToolRegistry:
    """Tools by name: read tools by domain, write tools by action."""

    def __init__(self) -> None:
        self._read: dict[str, AnyRead] = {}
        self._write: dict[str, AnyWrite] = {}

    def add_read(self, *tools: AnyRead) -> None:
        """Register read tools; a write tool here is a `TypeError`, a known name a `ValueError`."""
        for tool in tools:
            _require_read(tool)
            self._claim(tool.name)
            self._read[tool.name] = tool

    def add_write(self, *tools: AnyWrite) -> None:
        """Register write tools (never returned by `read_tools`)."""
        for tool in tools:
            if not isinstance(tool, WriteTool):
                raise TypeError(f"{getattr(tool, 'name', tool)!r} is not a write tool")
            self._claim(tool.name)
            self._write[tool.name] = tool

    def _claim(self, name: str) -> None:
        if name in self._read or name in self._write:
            raise ValueError(f"a tool named {name!r} is already registered")

    @property
    def domains(self) -> list[Domain]:
        """Domains that have read tools."""
        return sorted({t.domain for t in self._read.values()})

    def read_tools(self, domains: Iterable[Domain | str] | None = None) -> list[AnyRead]:
        """Read tools of these domains (all when None), in registration order."""
        wanted = None if domains is None else {Domain(d) for d in domains}
        return [t for t in self._read.values() if wanted is None or t.domain in wanted]

    def read_tool(self, name: str) -> AnyRead:
        """One read tool by name; `KeyError` names the known ones."""
        try:
            return self._read[name]
        except KeyError:
            raise KeyError(f"no read tool {name!r}; known: {', '.join(self._read)}") from None

    def write_tool(self, action: str) -> AnyWrite:
        """The write tool of an action (`kubernetes.scale`); `KeyError` when none does it."""
        for tool in self._write.values():
            if tool.action == action:
                return tool
        raise KeyError(f"no write tool for action {action!r}")

    def write_tools(self) -> list[AnyWrite]:
        """Every write tool, for the remediation planner's catalog."""
        return list(self._write.values())


def bind_read_tools(tools: Sequence[AnyRead], deps: ToolDeps) -> list[StructuredTool]:
    """LangChain tools bound to a run, for an agent; a write tool among them is a `TypeError`."""
    for tool in tools:
        _require_read(tool)
    return [tool.as_langchain(deps) for tool in tools]


def _require_read(tool: object) -> None:
    if isinstance(tool, WriteTool) or not isinstance(tool, ReadTool):
        raise TypeError(
            f"{getattr(tool, 'name', tool)!r} is not a read tool; write tools are bound only "
            "by the remediation graph, after approval"
        )
