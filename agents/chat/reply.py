"""An answer as it is built: its lines, the call ids they cite and the links they name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agents.chat.calls import StepTools
from agents.chat.intents import Focus
from agents.chat.links import unique
from agents.chat.steps import Link
from tools.decorators import ReadTool
from tools.result import ToolResult

MAX_CLUSTERS = 8
"""Clusters one question reads at most when it names none."""


@dataclass(frozen=True, kw_only=True)
class Reply:
    """A turn's answer: text, what it cites and names, and what the conversation is now about."""

    text: str
    links: list[Link] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    focus: Focus = field(default_factory=Focus)
    flags: list[str] = field(default_factory=list)


class Draft:
    """Lines of an answer, each citing the call it came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.links: list[Link] = []
        self.citations: list[str] = []

    def add(
        self, line: str, *, source: ToolResult[Any] | None = None, links: Iterable[Link] = ()
    ) -> None:
        """Say `line`, citing `source` (`[t3]`) and linking `links`."""
        if source is not None and source.call_id:
            # Before a closing colon (a list follows), else at the end.
            head, colon = (line[:-1], ":") if line.endswith(":") else (line, "")
            line = f"{head} [{source.call_id}]{colon}"
            self.citations.append(source.call_id)
        self.lines.append(line)
        self.links += links

    def failed(self, result: ToolResult[Any], what: str) -> bool:
        """Say why a call failed, if it did (True then)."""
        if result.error is None:
            return False
        self.add(f"I could not read {what}: {result.error.message}", source=result)
        return True

    def reply(self, focus: Focus) -> Reply:
        """The answer."""
        return Reply(
            text="\n".join(self.lines),
            links=unique(self.links),
            citations=list(dict.fromkeys(self.citations)),
            focus=focus,
        )


async def each_cluster(
    tools: StepTools, tool: ReadTool[Any, Any], arguments: dict[str, Any], cluster: str | None
) -> list[tuple[str | None, ToolResult[Any]]]:
    """Call `tool` on the named cluster, or on each configured one (the only one: unnamed)."""
    clusters = sorted(tools.deps.kubernetes)
    names: list[str | None] = (
        [cluster] if cluster else [None] if len(clusters) <= 1 else list(clusters[:MAX_CLUSTERS])
    )
    results = []
    for name in names:
        given = arguments | ({"cluster": name} if name else {})
        results.append((name, await tools.run(tool, given)))
    return results


def scope(namespace: str | None, clusters: list[str | None]) -> str:
    """`namespace payments` / `all namespaces`, and the clusters when several were read."""
    where = f"namespace {namespace}" if namespace else "all namespaces"
    named = [c for c in clusters if c]
    if len(named) == 1:
        return f"{where} of cluster {named[0]}"
    return f"{where} of clusters {', '.join(named)}" if named else where
