"""Specialists as data: a name, what the supervisor is told about it, its prompt, its tools.

The supervisor calls each one as a tool (`ask_<name>(question)`), and the specialist answers
by running its own tool loop with its prompt and tools over the run's `ToolDeps`, so its tool
calls land in the run's one invocation log. A specialist holds read tools only: `tools` is
typed `ReadTool`, which a `WriteTool` is not, and `SpecialistSpec` refuses one at runtime too.

`kubernetes` and `alerting` ship now; `openstack`, `vmware`, `forecasting` and `remediation`
join with their tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agents.prompts import system
from tools import incidents, kubernetes
from tools.analyzers.tool import k8s_analyze
from tools.decorators import ReadTool, WriteTool
from tools.memory import runbook_search, similar_incidents
from tools.metrics import metrics_query

_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")


@dataclass(frozen=True, kw_only=True)
class SpecialistSpec:
    """One specialist the supervisor can ask."""

    name: str
    """`kubernetes`: the supervisor's tool is `ask_kubernetes`."""
    description: str
    """What the supervisor reads about it: what it can answer."""
    prompt: str
    """Its system prompt."""
    tools: tuple[ReadTool[Any, Any], ...]
    """Its read tools (never a write tool)."""

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"specialist name {self.name!r} is not [a-z][a-z0-9_]*")
        names = [getattr(t, "name", repr(t)) for t in self.tools]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"specialist {self.name!r} needs distinct tools, not {names}")
        for tool in self.tools:
            if isinstance(tool, WriteTool) or not isinstance(tool, ReadTool):
                raise TypeError(f"specialist {self.name!r}: {tool!r} is not a read tool")

    @property
    def tool_name(self) -> str:
        """The supervisor's tool that asks this specialist."""
        return f"ask_{self.name}"


KUBERNETES = SpecialistSpec(
    name="kubernetes",
    description=(
        "Reads the Kubernetes clusters: pods (status, restarts, last termination), container "
        "logs (current and previous run), events, nodes and their conditions, workloads, "
        "services and endpoints, measured usage, metrics, PixelView's analyzers, and the "
        "team's runbooks."
    ),
    prompt=system.KUBERNETES,
    tools=(k8s_analyze, *kubernetes.TOOLS, metrics_query, runbook_search),
)

ALERTING = SpecialistSpec(
    name="alerting",
    description=(
        "Reads the incident: its alerts (labels, annotations, when they fired), its timeline, "
        "related incidents of the last days, the metrics the alerts are about, the team's "
        "runbooks, and resolved incidents like this one (what fixed them)."
    ),
    prompt=system.ALERTING,
    tools=(*incidents.TOOLS, metrics_query, runbook_search, similar_incidents),
)

SPECIALISTS: tuple[SpecialistSpec, ...] = (KUBERNETES, ALERTING)
"""The specialists triage's supervisor can ask."""
