"""Chat threads and messages as the API takes and returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.chat import ChatStep
from api.schemas.incidents import Out
from incidents.models.chat import ChatChannel


class ThreadCreate(BaseModel):
    """A new conversation."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=200, description="Unset: the first question.")
    channel: ChatChannel = ChatChannel.WEB
    external_key: str | None = Field(
        None, min_length=1, max_length=200, description="The channel's own name of the thread."
    )


class QuestionIn(BaseModel):
    """A question to ask in a thread."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=100_000)


class ThreadOut(Out):
    """A conversation."""

    id: int
    owner: str
    """`user:<id>`, `slack:<user id>`, `cli` or `eval`."""
    title: str
    channel: str
    external_key: str | None
    created_at: datetime
    updated_at: datetime
    """When it was created or last asked."""


class MessageOut(Out):
    """A question of a thread, every step of its answer, and what it spent."""

    id: int
    thread_id: int
    asked_by: str
    question: str
    status: str
    """`running`, `answered` or `failed`."""
    answer: str | None
    steps: list[ChatStep]
    mode: str | None
    error: str | None
    tool_calls: list[dict[str, Any]]
    llm_calls: int
    tokens_in: int
    tokens_out: int
    cost: float
    created_at: datetime
    finished_at: datetime | None


class ThreadDetailOut(ThreadOut):
    """A conversation with its messages, oldest first."""

    messages: list[MessageOut]
