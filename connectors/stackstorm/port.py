"""StackStorm as an agent's remediation back end: the action catalog, runs and their status.

Running an action is a write: callers bind `run_action` only behind the approval policy.
Implementations raise `core.errors.NotFound` for an unknown action or execution and
`core.errors.InvalidRequest` for parameters the action's metadata refuses.
"""

from __future__ import annotations

from typing import Any, Protocol

from connectors.stackstorm.models import Action, Execution


class StackStormPort(Protocol):
    """One StackStorm API."""

    async def list_actions(self, *, pack: str | None = None) -> list[Action]:
        """Actions, optionally of one pack; by ref."""
        ...

    async def get_action(self, ref: str) -> Action:
        """One action by `pack.name`."""
        ...

    async def run_action(
        self, ref: str, parameters: dict[str, Any], *, user: str = ""
    ) -> Execution:
        """Start an execution of an action; returns it as first recorded."""
        ...

    async def get_execution(self, execution_id: str) -> Execution:
        """An execution's current status and result."""
        ...
