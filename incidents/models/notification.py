"""Where pages go: channels, people's contact methods and rules, and the delivery outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime
from core.ids import new_id


class ChannelKind(StrEnum):
    """Kinds of notification channel and contact method."""

    SLACK = "slack"
    EMAIL = "email"
    SMS = "sms"
    PAGERDUTY = "pagerduty"
    WEBHOOK = "webhook"


class NotificationChannel(SQLModel, table=True):
    """A shared destination: a Slack channel, a webhook, a PagerDuty service, a mailing list."""

    __tablename__ = "notification_channels"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    address: str = Field(sa_column=Column(String(2000), nullable=False))
    """Slack channel id, e-mail address, phone number or webhook URL."""
    secret_sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Webhook signing secret or PagerDuty routing key, encrypted with `core.crypto.SecretBox`."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ContactMethod(SQLModel, table=True):
    """A way to reach one person."""

    __tablename__ = "contact_methods"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    address: str = Field(sa_column=Column(String(2000), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class NotificationRule(SQLModel, table=True):
    """A person's rule: when paged, use this contact method after this delay."""

    __tablename__ = "notification_rules"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "contact_method_id", "delay_minutes", name="uq_notification_rule"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    contact_method_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("contact_methods.id", ondelete="CASCADE"), nullable=False)
    )
    delay_minutes: int = Field(sa_column=Column(Integer, nullable=False))


class DeliveryStatus(StrEnum):
    """Life of a delivery in the outbox."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    """The last attempt failed; it will be retried."""
    GAVE_UP = "gave_up"
    CANCELLED = "cancelled"
    """No longer needed (the incident was acknowledged or resolved first)."""
    COALESCED = "coalesced"
    """Held back by the per-person rate limit; counted in a summary delivery instead."""


class Delivery(SQLModel, table=True):
    """One message to one destination: the outbox row the sender works from."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_incident", "incident_id"),
        Index("ix_deliveries_user_kind_created", "user_id", "kind", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    idempotency_key: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    incident_id: int | None = Field(
        default=None,
        sa_column=Column(
            AutoIncrementId, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=True
        ),
    )
    user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    channel_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid, ForeignKey("notification_channels.id", ondelete="SET NULL"), nullable=True
        ),
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    address: str = Field(sa_column=Column(String(2000), nullable=False))
    event: str = Field(sa_column=Column(String(16), nullable=False))
    """`trigger`, `acknowledge`, `resolve` or `summary`."""
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    message: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    send_after: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    provider_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
