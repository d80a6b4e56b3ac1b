"""What a tool gets from the run that calls it: ports, readers, clock, approval, invocation log.

Tools never build clients or read settings: the composition root (or a test) builds `ToolDeps`
once per run, and the decorators pass it to every call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from connectors.kubernetes.port import KubernetesPort
from connectors.prometheus.port import MetricsPort
from core.clock import Clock
from core.errors import InvalidRequest, NotFound, Unavailable
from incidents.reader import IncidentReader
from memory.port import MemoryStore

InvocationStatus = Literal["ok", "no_data", "error", "raised"]
"""A call's outcome; `raised` is an exception the tool did not turn into a result (a bug)."""


@dataclass(frozen=True, kw_only=True)
class Approval:
    """A person's (or a policy's) approval of one write action with exact arguments."""

    action: str
    """The write tool's action, such as `kubernetes.scale`."""
    arguments: Mapping[str, Any]
    """The approved arguments as the args model dumps them (`model_dump(mode="json")`)."""
    approved_by: str
    """`user:<id>` or `policy:<name>`."""
    approved_at: datetime
    reason: str | None = None

    def covers(self, action: str, arguments: Mapping[str, Any]) -> bool:
        """True when this approval is for this action with these very arguments."""
        return self.action == action and dict(self.arguments) == dict(arguments)


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One tool call as the invocation log keeps it."""

    call_id: str
    """`t1`, `t2`... in the run's order: what a report's evidence cites."""
    tool: str
    kind: Literal["read", "write"]
    arguments: dict[str, Any]
    """The arguments as the caller gave them (before validation)."""
    status: InvocationStatus
    error_code: str | None
    duration_ms: float
    output_chars: int
    """Length of the text the model was shown."""
    truncated: bool
    at: datetime

    def dump(self) -> dict[str, Any]:
        """As plain JSON data (the time in ISO 8601), as runs and chat messages store it."""
        data = dataclasses.asdict(self)
        data["at"] = self.at.isoformat()
        return data


class InvocationLog:
    """Every tool call of a run, in order (evidence for reports, budgets and evals)."""

    def __init__(self, *, start: int = 0) -> None:
        """An empty log whose first call is `t<start + 1>`.

        A run that continues an earlier one (a chat thread's next turn) starts after the
        calls it already made, so that every call id of the conversation is distinct.
        """
        self._start = start
        self._entries: list[Invocation] = []

    def next_id(self) -> str:
        """The id the next recorded call gets."""
        return f"t{self._start + len(self._entries) + 1}"

    def record(self, invocation: Invocation) -> None:
        """Append one call (its `call_id` must be `next_id()`: ids follow the order)."""
        if invocation.call_id != self.next_id():
            raise ValueError(f"call {invocation.call_id} recorded as {self.next_id()}")
        self._entries.append(invocation)

    def get(self, call_id: str) -> Invocation | None:
        """The call with this id, or None."""
        return next((i for i in self._entries if i.call_id == call_id), None)

    @property
    def entries(self) -> tuple[Invocation, ...]:
        """The calls so far, oldest first."""
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, kw_only=True)
class ToolDeps:
    """Everything a tool may use, for one run."""

    kubernetes: Mapping[str, KubernetesPort] = field(default_factory=dict)
    """Clusters by name; tools take an optional `cluster` argument (default: the only one)."""
    metrics: MetricsPort | None = None
    memory: MemoryStore | None = None
    """Runbooks and past incidents (`memory/`); None: this run has no vector memory."""
    incidents: IncidentReader
    clock: Clock
    approval: Approval | None = None
    """The approval a write tool needs; read tools never look at it."""
    recorder: InvocationLog = field(default_factory=InvocationLog)

    def k8s(self, cluster: str | None) -> KubernetesPort:
        """The named cluster's port, or the only one's when `cluster` is None."""
        names = ", ".join(sorted(self.kubernetes)) or "none"
        if cluster is None:
            if len(self.kubernetes) == 1:
                return next(iter(self.kubernetes.values()))
            if not self.kubernetes:
                raise Unavailable("no Kubernetes cluster is configured for this run")
            raise InvalidRequest(f"several clusters are configured ({names}): name one as cluster")
        try:
            return self.kubernetes[cluster]
        except KeyError:
            raise NotFound(f"no cluster named {cluster!r}; the clusters are: {names}") from None

    def knowledge(self) -> MemoryStore:
        """The memory store, or `Unavailable` when this run has none."""
        if self.memory is None:
            raise Unavailable("no runbook and incident memory is configured for this run")
        return self.memory

    def prometheus(self) -> MetricsPort:
        """The metrics port, or `Unavailable` when this run has none."""
        if self.metrics is None:
            raise Unavailable("no metrics backend is configured for this run")
        return self.metrics
