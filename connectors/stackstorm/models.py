"""DTOs of the StackStorm port: actions, their parameters, and executions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ParameterType = Literal["string", "integer", "number", "boolean", "array", "object"]
ExecutionStatus = Literal[
    "requested", "scheduled", "running", "succeeded", "failed", "timeout", "canceled"
]


class ActionParameter(BaseModel):
    """One parameter of an action, as its metadata declares it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: ParameterType
    description: str = ""
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] | None = None


class Action(BaseModel):
    """A StackStorm action: `pack.name`, what it does, and whether it changes anything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str
    pack: str
    name: str
    description: str
    runner_type: str
    enabled: bool = True
    parameters: tuple[ActionParameter, ...] = ()
    read_only: bool
    """True for an action that only reads (a diagnosis); False for one that changes the estate.

    StackStorm has no such field: it comes from the action's `pixelview:read_only` tag, and an
    action without the tag is treated as mutating.
    """


class Execution(BaseModel):
    """One run of an action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    action_ref: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    status: ExecutionStatus
    start_timestamp: datetime
    end_timestamp: datetime | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    user: str = ""
