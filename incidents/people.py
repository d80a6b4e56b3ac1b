"""Users and teams: create, authenticate by API token, membership."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, NotFound
from core.tokens import hash_token, new_token
from incidents.audit import audit
from incidents.models.people import Role, Team, TeamMember, User

TOKEN_PREFIX = "pvu"


class UserCreate(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Role = Role.RESPONDER


class TeamCreate(BaseModel):
    """A new team."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    members: list[uuid.UUID] = Field(default_factory=list)


def create_user(
    session: Session, spec: UserCreate, *, now: datetime, actor: str
) -> tuple[User, str]:
    """Create a user; return it and its API token (shown only this once)."""
    email = spec.email.lower()
    if session.scalars(select(User).where(col(User.email) == email)).first():
        raise Conflict(f"a user with email {email} already exists")
    token = new_token(TOKEN_PREFIX)
    user = User(
        name=spec.name,
        email=email,
        role=spec.role.value,
        token_hash=hash_token(token),
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        after={"name": user.name, "email": email, "role": user.role},
    )
    return user, token


def authenticate_user(session: Session, token: str) -> User | None:
    """The active user holding this API token, or None."""
    user = session.scalars(select(User).where(col(User.token_hash) == hash_token(token))).first()
    return user if user is not None and user.active else None


def get_user(session: Session, user_id: uuid.UUID) -> User:
    """The user, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(col(User.name))))


def create_team(session: Session, spec: TeamCreate, *, now: datetime, actor: str) -> Team:
    """Create a team with its initial members."""
    if session.scalars(select(Team).where(col(Team.name) == spec.name)).first():
        raise Conflict(f"a team named {spec.name!r} already exists")
    team = Team(name=spec.name, created_at=now)
    session.add(team)
    session.flush()
    for user_id in spec.members:
        get_user(session, user_id)
        session.add(TeamMember(team_id=team.id, user_id=user_id))
    audit(
        session,
        now=now,
        actor=actor,
        action="team.create",
        target_type="team",
        target_id=team.id,
        after={"name": team.name, "members": [str(m) for m in spec.members]},
    )
    return team


def get_team(session: Session, team_id: uuid.UUID) -> Team:
    """The team, or NotFound."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    return team


def team_members(session: Session, team_id: uuid.UUID) -> list[User]:
    """Members of a team, by name."""
    return list(
        session.scalars(
            select(User)
            .join(TeamMember, col(TeamMember.user_id) == col(User.id))
            .where(col(TeamMember.team_id) == team_id)
            .order_by(col(User.name))
        )
    )


def list_teams(session: Session) -> list[Team]:
    """Every team, by name."""
    return list(session.scalars(select(Team).order_by(col(Team.name))))
