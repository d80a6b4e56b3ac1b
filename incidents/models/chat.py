"""Chat threads and their messages: who asked what, every step of the answer, what it cost.

These are PixelView's records of conversations, kept beside the triage runs and the audit log:
the chat runner (`agents/chat/`) writes them, the API, the web panel and the Slack bot read
them. They live here, in the domain layer below `agents/` and `api/`, because both of those
(and the CLI) read and write them and neither may import the other; a table above `tools/`
would also put a database schema where only decisions belong. The model's own context of a
thread is not here but in the thread's LangGraph checkpoint (`chat-thread-<id>`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime


class ChatChannel(StrEnum):
    """Where a conversation takes place."""

    WEB = "web"
    SLACK = "slack"
    CLI = "cli"
    EVAL = "eval"


class ChatMessageStatus(StrEnum):
    """Where a question stands."""

    RUNNING = "running"
    ANSWERED = "answered"
    FAILED = "failed"
    """The turn ended on an error (a model or database failure, the client went away)."""


class ChatThread(SQLModel, table=True):
    """A conversation: its owner, title and channel."""

    __tablename__ = "chat_threads"
    __table_args__ = (
        # The Slack bot finds the thread of a Slack thread by its key; one thread per key.
        UniqueConstraint("channel", "external_key", name="uq_chat_threads_external_key"),
        Index("ix_chat_threads_owner", "owner", "updated_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    owner: str = Field(sa_column=Column(String(200), nullable=False))
    """Who started it: `user:<id>`, `slack:<user id>`, `cli`, `eval`."""
    title: str = Field(sa_column=Column(String(200), nullable=False))
    """The first question, cut (empty until one is asked, unless given)."""
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    external_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    """The channel's own name of the conversation (Slack: `<channel>:<thread ts>`)."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    """When it was created or last asked."""


class ChatMessage(SQLModel, table=True):
    """One question of a thread and its answer, with every step the answer took."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_thread", "thread_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    thread_id: int = Field(
        sa_column=Column(
            AutoIncrementId, ForeignKey("chat_threads.id", ondelete="CASCADE"), nullable=False
        )
    )
    asked_by: str = Field(sa_column=Column(String(200), nullable=False))
    question: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    steps: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    """The steps as they streamed (`agents.chat.steps.ChatStep` as JSON), the answer last."""
    mode: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    """`none` or the model that answered (`openai:gpt-4o-mini`)."""
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    """The turn's invocation log: tool, arguments, status, milliseconds, output size."""
    llm_calls: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    tokens_in: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    tokens_out: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    cost: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
