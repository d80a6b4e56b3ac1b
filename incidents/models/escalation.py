"""Escalation policies, routing rules, and each incident's escalation state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime
from core.ids import new_id


class EscalationPolicy(SQLModel, table=True):
    """A named policy; `spec` is a `PolicySpec` (steps, ack timeout, urgency rule)."""

    __tablename__ = "escalation_policies"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    spec: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    """Bumped on every edit; incidents keep the version they snapshotted."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class RoutingRule(SQLModel, table=True):
    """Selects the policy of a new incident: rules are tried by position, first match wins."""

    __tablename__ = "routing_rules"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    position: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    integration_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=True),
    )
    service: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    severities: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    matchers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    """Label matchers, as in silences."""
    policy_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("escalation_policies.id", ondelete="CASCADE"), nullable=False
        )
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Escalation(SQLModel, table=True):
    """An incident's escalation: the policy as it was when the incident opened, and where it stands.

    Workers claim rows whose `next_step_at` is due with `FOR UPDATE SKIP LOCKED`;
    each step's pages and the new state commit together, so no step runs twice.
    """

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "status", "next_step_at"),)

    incident_id: int = Field(
        sa_column=Column(
            AutoIncrementId, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
        )
    )
    policy_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid, ForeignKey("escalation_policies.id", ondelete="SET NULL"), nullable=True
        ),
    )
    policy_version: int = Field(sa_column=Column(Integer, nullable=False))
    snapshot: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    """The `PolicySpec` copied when the incident opened: later edits never change it."""
    status: str = Field(sa_column=Column(String(16), nullable=False))
    step_index: int = Field(sa_column=Column(Integer, nullable=False))
    loops: int = Field(sa_column=Column(Integer, nullable=False))
    epoch: int = Field(sa_column=Column(Integer, nullable=False))
    next_step_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class RoundRobinPosition(SQLModel, table=True):
    """Whose turn is next in a policy's round-robin step, remembered across incidents."""

    __tablename__ = "round_robin_positions"
    __table_args__ = (UniqueConstraint("policy_id", "step_index", name="uq_round_robin_step"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    policy_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("escalation_policies.id", ondelete="CASCADE"), nullable=False
        )
    )
    step_index: int = Field(sa_column=Column(Integer, nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))
