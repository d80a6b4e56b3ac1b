"""Escalation policies and routing rules: manage them, and pick one for a new incident."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, InvalidRequest, NotFound
from incidents.alerts.schema import Severity
from incidents.audit import audit
from incidents.escalation.policy import (
    NotifyChannel,
    NotifySchedule,
    NotifyTeam,
    NotifyUsers,
    PolicySpec,
    RoundRobin,
)
from incidents.models.escalation import EscalationPolicy, RoutingRule
from incidents.models.incident import Incident
from incidents.models.notification import NotificationChannel
from incidents.models.people import Team, User
from incidents.models.schedule import ScheduleRow
from incidents.silences import Matcher


class RoutingRuleCreate(BaseModel):
    """A routing rule: all given conditions must hold; rules are tried by position."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    position: int = Field(ge=0)
    policy_id: uuid.UUID
    integration_id: uuid.UUID | None = None
    service: str | None = None
    severities: list[Severity] = Field(default_factory=list)
    matchers: list[Matcher] = Field(default_factory=list)


def _check_references(session: Session, spec: PolicySpec) -> None:
    """Every user, team, schedule and channel a policy names must exist."""
    missing = []
    for index, step in enumerate(spec.steps):
        refs: list[tuple[type[Any], uuid.UUID]] = []
        if isinstance(step, NotifyUsers | RoundRobin):
            refs = [(User, u) for u in step.users]
        elif isinstance(step, NotifySchedule):
            refs = [(ScheduleRow, step.schedule_id), *((User, u) for u in step.fallback_users)]
        elif isinstance(step, NotifyTeam):
            refs = [(Team, step.team_id)]
        elif isinstance(step, NotifyChannel):
            refs = [(NotificationChannel, step.channel_id)]
        missing += [
            f"steps[{index}]: {m.__tablename__} {ref} does not exist"
            for m, ref in refs
            if not session.get(m, ref)
        ]
    if missing:
        raise InvalidRequest("; ".join(missing))


def create_policy(
    session: Session, spec: PolicySpec, *, now: datetime, actor: str
) -> EscalationPolicy:
    """Create a policy after checking what it refers to."""
    if session.scalars(
        select(EscalationPolicy).where(col(EscalationPolicy.name) == spec.name)
    ).first():
        raise Conflict(f"an escalation policy named {spec.name!r} already exists")
    _check_references(session, spec)
    policy = EscalationPolicy(
        name=spec.name, spec=spec.model_dump(mode="json"), created_at=now, updated_at=now
    )
    session.add(policy)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="escalation_policy.create",
        target_type="escalation_policy",
        target_id=policy.id,
        after=policy.spec,
    )
    return policy


def update_policy(
    session: Session, policy_id: uuid.UUID, spec: PolicySpec, *, now: datetime, actor: str
) -> EscalationPolicy:
    """Replace a policy's steps; incidents already escalating keep their snapshot."""
    policy = get_policy(session, policy_id)
    _check_references(session, spec)
    before = policy.spec
    policy.name, policy.spec = spec.name, spec.model_dump(mode="json")
    policy.version += 1
    policy.updated_at = now
    audit(
        session,
        now=now,
        actor=actor,
        action="escalation_policy.update",
        target_type="escalation_policy",
        target_id=policy.id,
        before=before,
        after=policy.spec,
    )
    return policy


def get_policy(session: Session, policy_id: uuid.UUID) -> EscalationPolicy:
    """The policy, or NotFound."""
    policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise NotFound(f"escalation policy {policy_id} does not exist")
    return policy


def list_policies(session: Session) -> list[EscalationPolicy]:
    """Every policy, by name."""
    return list(session.scalars(select(EscalationPolicy).order_by(col(EscalationPolicy.name))))


def create_rule(
    session: Session, spec: RoutingRuleCreate, *, now: datetime, actor: str
) -> RoutingRule:
    """Add a routing rule."""
    get_policy(session, spec.policy_id)
    rule = RoutingRule(
        name=spec.name,
        position=spec.position,
        policy_id=spec.policy_id,
        integration_id=spec.integration_id,
        service=spec.service,
        severities=[s.value for s in spec.severities],
        matchers=[m.model_dump() for m in spec.matchers],
        created_at=now,
    )
    session.add(rule)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="routing_rule.create",
        target_type="routing_rule",
        target_id=rule.id,
        after=spec.model_dump(mode="json"),
    )
    return rule


def list_rules(session: Session) -> list[RoutingRule]:
    """Routing rules in the order they are tried."""
    return list(
        session.scalars(
            select(RoutingRule).order_by(col(RoutingRule.position), col(RoutingRule.created_at))
        )
    )


def route(
    session: Session, incident: Incident, rules: list[RoutingRule] | None = None
) -> EscalationPolicy | None:
    """The policy of the first rule the incident matches, or None."""
    for rule in list_rules(session) if rules is None else rules:
        if rule.integration_id is not None and rule.integration_id != incident.integration_id:
            continue
        if rule.service is not None and rule.service != incident.service:
            continue
        if rule.severities and incident.severity not in rule.severities:
            continue
        if not all(Matcher.model_validate(m).matches(incident.labels) for m in rule.matchers):
            continue
        return session.get(EscalationPolicy, rule.policy_id)
    return None
