"""Administration: integrations, users, teams, silences, the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Now, Sessions
from api.schemas.admin import (
    AuditOut,
    IntegrationOut,
    IntegrationWithToken,
    RejectionOut,
    SilenceIn,
    SilenceOut,
    TeamDetailOut,
    TeamOut,
    UserOut,
    UserWithToken,
)
from incidents import integrations, people, silence_store
from incidents.audit import list_audit
from incidents.integrations import IntegrationCreate, IntegrationUpdate
from incidents.models.integration import Integration
from incidents.models.people import Role
from incidents.people import TeamCreate, UserCreate

router = APIRouter(prefix="/api/v1")


def _with_token(integration: Integration, token: str) -> IntegrationWithToken:
    return IntegrationWithToken(
        integration=IntegrationOut.model_validate(integration),
        token=token,
        webhook_path=f"/api/v1/integrations/{token}/{integration.source}",
    )


@router.post(
    "/integrations", response_model=IntegrationWithToken, status_code=201, tags=["integrations"]
)
def create_integration(
    spec: IntegrationCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> IntegrationWithToken:
    """Create an integration; the answer holds its secret webhook token, shown only once."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        integration, token = integrations.create_integration(
            session, spec, now=clock.now(), actor=caller.actor
        )
        session.commit()
        return _with_token(integration, token)


@router.get("/integrations", response_model=list[IntegrationOut], tags=["integrations"])
def list_integrations(sessions: Sessions, caller: CurrentCaller) -> list[IntegrationOut]:
    """Every integration."""
    del caller
    with sessions() as session:
        return [IntegrationOut.model_validate(i) for i in integrations.list_integrations(session)]


@router.get("/integrations/{integration_id}", response_model=IntegrationOut, tags=["integrations"])
def get_integration(
    integration_id: uuid.UUID, sessions: Sessions, caller: CurrentCaller
) -> IntegrationOut:
    """One integration."""
    del caller
    with sessions() as session:
        return IntegrationOut.model_validate(integrations.get_integration(session, integration_id))


@router.patch(
    "/integrations/{integration_id}", response_model=IntegrationOut, tags=["integrations"]
)
def update_integration(
    integration_id: uuid.UUID,
    change: IntegrationUpdate,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
) -> IntegrationOut:
    """Change an integration's name, team, grouping, resolution or reopen window, or disable it."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        integration = integrations.update_integration(
            session, integration_id, change, now=clock.now(), actor=caller.actor
        )
        session.commit()
        return IntegrationOut.model_validate(integration)


@router.post(
    "/integrations/{integration_id}/rotate-token",
    response_model=IntegrationWithToken,
    tags=["integrations"],
)
def rotate_token(
    integration_id: uuid.UUID, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> IntegrationWithToken:
    """Issue a new webhook token; the old one stops working at once."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        integration, token = integrations.rotate_token(
            session, integration_id, now=clock.now(), actor=caller.actor
        )
        session.commit()
        return _with_token(integration, token)


@router.get(
    "/integrations/{integration_id}/rejections",
    response_model=list[RejectionOut],
    tags=["integrations"],
)
def list_rejections(
    integration_id: uuid.UUID, sessions: Sessions, caller: CurrentCaller
) -> list[RejectionOut]:
    """The last refused deliveries of the integration with their bodies, newest first."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        return [
            RejectionOut.model_validate(r)
            for r in integrations.list_rejections(session, integration_id)
        ]


@router.post("/users", response_model=UserWithToken, status_code=201, tags=["people"])
def create_user(
    spec: UserCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> UserWithToken:
    """Create a user; the answer holds the user's API token, shown only once."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        user, token = people.create_user(session, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        return UserWithToken(user=UserOut.model_validate(user), token=token)


@router.get("/users", response_model=list[UserOut], tags=["people"])
def list_users(sessions: Sessions, caller: CurrentCaller) -> list[UserOut]:
    """Every user."""
    del caller
    with sessions() as session:
        return [UserOut.model_validate(u) for u in people.list_users(session)]


@router.get("/users/me", response_model=UserOut, tags=["people"])
def whoami(caller: CurrentCaller) -> UserOut:
    """The user the API token belongs to."""
    return UserOut.model_validate(caller.user)


@router.post("/teams", response_model=TeamDetailOut, status_code=201, tags=["people"])
def create_team(
    spec: TeamCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> TeamDetailOut:
    """Create a team with its members."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        team = people.create_team(session, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        members = [UserOut.model_validate(u) for u in people.team_members(session, team.id)]
        return TeamDetailOut(
            id=team.id, name=team.name, created_at=team.created_at, members=members
        )


@router.get("/teams", response_model=list[TeamOut], tags=["people"])
def list_teams(sessions: Sessions, caller: CurrentCaller) -> list[TeamOut]:
    """Every team."""
    del caller
    with sessions() as session:
        return [TeamOut.model_validate(t) for t in people.list_teams(session)]


@router.post("/silences", response_model=SilenceOut, status_code=201, tags=["silences"])
def create_silence(
    spec: SilenceIn, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> SilenceOut:
    """Silence matching alerts (or a whole integration) for a time window: stored, never paged."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        silence = silence_store.create_silence(
            session,
            kind=spec.kind,
            integration_id=spec.integration_id,
            matchers=spec.matchers,
            window=(spec.starts_at, spec.ends_at),
            comment=spec.comment,
            now=clock.now(),
            actor=caller.actor,
        )
        session.commit()
        return SilenceOut.model_validate(silence)


@router.get("/silences", response_model=list[SilenceOut], tags=["silences"])
def list_silences(
    sessions: Sessions, clock: Now, caller: CurrentCaller, active: bool = False
) -> list[SilenceOut]:
    """Silences, newest first (`active=true`: only those in force now)."""
    del caller
    with sessions() as session:
        rows = silence_store.list_silences(session, active_at=clock.now() if active else None)
        return [SilenceOut.model_validate(s) for s in rows]


@router.post("/silences/{silence_id}/expire", response_model=SilenceOut, tags=["silences"])
def expire_silence(
    silence_id: uuid.UUID, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> SilenceOut:
    """End a silence now."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        silence = silence_store.expire_silence(
            session, silence_id, now=clock.now(), actor=caller.actor
        )
        session.commit()
        return SilenceOut.model_validate(silence)


@router.get("/audit", response_model=list[AuditOut], tags=["audit"])
def audit_log(
    sessions: Sessions,
    caller: CurrentCaller,
    target_type: str | None = None,
    target_id: str | None = None,
    before_id: Annotated[
        int | None, Query(description="Page: the smallest id seen so far.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """The audit log, newest first (admins only)."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        rows = list_audit(
            session, target_type=target_type, target_id=target_id, before_id=before_id, limit=limit
        )
        return [AuditOut.model_validate(r) for r in rows]
