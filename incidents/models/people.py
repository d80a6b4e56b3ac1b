"""Users and teams: who gets paged, who acts, who owns an integration."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, String, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from core.db.types import UTCDateTime
from core.ids import new_id


class Role(StrEnum):
    """What a user may do: admins configure, responders act, viewers read."""

    ADMIN = "admin"
    RESPONDER = "responder"
    VIEWER = "viewer"


class User(SQLModel, table=True):
    """A person (or a service account) known to PixelView."""

    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    """SHA-256 of the user's API token; the token itself is shown once, at creation."""
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Team(SQLModel, table=True):
    """A group of users that owns services and integrations."""

    __tablename__ = "teams"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TeamMember(SQLModel, table=True):
    """Membership of a user in a team."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_members"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    team_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
