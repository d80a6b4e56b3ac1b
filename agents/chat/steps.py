"""What a chat turn streams, step by step, and the links a UI renders as clickable.

A turn is a sequence of steps, each sent as it happens:

    tool_call ──▶ tool_result ──▶ tool_call ──▶ tool_result ... ──▶ answer
                                                             └────▶ error

`tool_call` and `tool_result` share a `call_id` (`t1`, `t2`... unique within a thread), and an
answer cites the call ids its facts came from. Links are structured references, never URLs:
an incident by id, a resource by cloud, kind, namespace and name (and the cluster it is in),
or a runbook section; each client makes its own URL of them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from core.taxonomy import Cloud


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IncidentLink(_Model):
    """An incident of PixelView."""

    type: Literal["incident"] = "incident"
    incident_id: int


class ResourceLink(_Model):
    """A resource in a cloud, as the platform names it."""

    type: Literal["resource"] = "resource"
    cloud: Cloud
    kind: str
    """`Pod`, `Deployment`, `Node`, `Namespace`, `Service`..."""
    namespace: str | None = None
    name: str
    cluster: str | None = None
    """The Kubernetes cluster (as PixelView names it) when the cloud has several."""


class RunbookLink(_Model):
    """A section of one of the team's runbooks."""

    type: Literal["runbook"] = "runbook"
    runbook_id: str
    title: str
    section: str | None = None


Link = Annotated[IncidentLink | ResourceLink | RunbookLink, Field(discriminator="type")]


class ToolCallStep(_Model):
    """A tool call is starting."""

    kind: Literal["tool_call"] = "tool_call"
    call_id: str
    tool: str
    arguments: dict[str, Any]
    """The arguments as the model (or the answerer) gave them."""


class ToolResultStep(_Model):
    """A tool call ended."""

    kind: Literal["tool_result"] = "tool_result"
    call_id: str
    tool: str
    ok: bool
    """False when the call failed (`status` error); no data is a fine answer."""
    status: Literal["ok", "no_data", "error"]
    summary: str
    """One short line: what came back, why nothing did, or the error."""
    links: list[Link] = []
    """What the result names: pods, nodes, incidents, runbooks."""


class AnswerStep(_Model):
    """The answer to the question; the turn's last step."""

    kind: Literal["answer"] = "answer"
    text: str
    links: list[Link] = []
    """What the answer names, for a UI to link."""
    citations: list[str] = []
    """The call ids of the results the answer rests on."""
    mode: str
    """`none` (PixelView's deterministic answers) or the model that answered."""
    flags: list[str] = []
    """`untrusted_instruction`, `budget_exceeded`, `max_steps_reached`, `loop_detected`."""


class ErrorStep(_Model):
    """The turn failed and ends here without an answer."""

    kind: Literal["error"] = "error"
    code: str
    """`internal`, `unavailable`, `cancelled`, or another error code."""
    message: str


ChatStep = Annotated[
    ToolCallStep | ToolResultStep | AnswerStep | ErrorStep, Field(discriminator="kind")
]
"""One step of a chat turn; `kind` says which."""

STEPS: TypeAdapter[ChatStep] = TypeAdapter(ChatStep)
"""Validates a step read back from JSON (a stored message's `steps`)."""
