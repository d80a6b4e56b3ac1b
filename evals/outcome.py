"""What one run of a scenario produced, as the scorers and the report read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from incidents.triage_report import TriageReport
from lab.demo import LabRun


class ToolCall(BaseModel):
    """One tool call of the run, from the invocation log."""

    model_config = ConfigDict(frozen=True)

    call_id: str
    tool: str
    kind: Literal["read", "write"] = "read"
    arguments: dict[str, Any] = {}
    status: str
    """`ok`, `no_data`, `error` or `raised` (see tools/context.py)."""
    approved: bool = False
    """A write that ran under a recorded approval."""


class RunOutcome(BaseModel):
    """The product's answer to a scenario, and what it spent."""

    report: TriageReport | None = None
    """Triage: the stored report (None when the run failed)."""
    answer: str | None = None
    """Chat: the answer's text."""
    error: str | None = None
    """Why there is no report or answer (the run failed, no incident opened...)."""
    incidents: list[int] = []
    """The incidents the alert opened, in order; the first one's triage is scored."""
    tool_calls: list[ToolCall] = []
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    wall_s: float = Field(0.0, ge=0)
    budget_exceeded: bool = False
    """The run reached a limit of its budget (its report is flagged `budget_exceeded`)."""


class Delivery(BaseModel):
    """One alert body, as its sender posts it to the source's webhook."""

    model_config = ConfigDict(frozen=True)

    source: str
    body: Any


class Estate(Protocol):
    """The product, wired for evaluation on a lab (the composition root provides it).

    Each call starts from nothing: a fresh database, the lab's cluster and metrics as the
    product's connectors, the runbook library in the memory store, the chosen model.
    """

    def triage(self, lab: LabRun, deliveries: list[Delivery], at: datetime, key: str) -> RunOutcome:
        """Post the alerts at `at` through the real webhook route; the first incident's triage.

        The worker runs every due job before the triage is read. `key` names the run
        (`<scenario id>/<attempt>`): where its model exchanges are recorded or replayed.
        """
        ...

    def ask(self, lab: LabRun, question: str, key: str) -> RunOutcome:
        """Ask the chat runner `question` about the lab; the answer and its steps."""
        ...
