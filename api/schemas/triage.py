"""Triage runs as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.schemas.incidents import Out
from incidents.triage_report import TriageReport


class TriageRunOut(Out):
    """One investigation of an incident: where it stands, what it found, what it spent."""

    id: int
    incident_id: int
    status: str
    """`queued`, `running`, `succeeded` or `failed`."""
    trigger: str
    """`opened` (every new incident) or `requested` (asked for again)."""
    requested_by: str
    mode: str | None
    report: TriageReport | None
    error: str | None
    tool_calls: list[dict[str, Any]]
    llm_calls: int
    tokens_in: int
    tokens_out: int
    cost: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
