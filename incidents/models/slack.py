"""Where the Slack bot posted each incident: the message its buttons live on, and its thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import UTCDateTime


class SlackPost(SQLModel, table=True):
    """An incident's Slack message: planned when the incident opens, its `ts` once posted.

    The row exists before the message does, so that a status change or a triage report that
    comes first waits for the message instead of being lost.
    """

    __tablename__ = "slack_posts"

    incident_id: int = Field(
        sa_column=Column(
            AutoIncrementId,
            ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    channel: str = Field(sa_column=Column(String(100), nullable=False))
    """The Slack channel id (or DM id) the message goes to."""
    ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    """Slack's id of the message once posted; it is also the incident's thread."""
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Why posting gave up (a channel that does not exist, a bot not in it)."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
