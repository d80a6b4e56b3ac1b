"""Escalation policies, routing rules, schedules, notification channels and contacts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import CurrentCaller, Now, Sessions
from api.schemas.paging import (
    ChannelOut,
    ContactOut,
    ContactsOut,
    DeliveryOut,
    EscalationOut,
    GapOut,
    OnCallOut,
    OverrideOut,
    PolicyOut,
    RoutingRuleOut,
    RuleOut,
    ScheduleOut,
    ShiftOut,
    TimeOffOut,
)
from core.crypto import SecretBox
from core.errors import InvalidRequest, NotFound
from incidents.escalation import policies
from incidents.escalation.policies import RoutingRuleCreate
from incidents.escalation.policy import PolicySpec
from incidents.models.escalation import Escalation
from incidents.models.notification import NotificationChannel
from incidents.models.people import Role
from incidents.notifications import contacts
from incidents.notifications.contacts import ChannelCreate, ContactCreate, RuleCreate
from incidents.oncall import engine as oncall
from incidents.oncall import store
from incidents.oncall.ical import schedule_ical, user_ical
from incidents.oncall.model import Layer
from incidents.oncall.store import ScheduleCreate, SpanCreate
from incidents.queries import get_incident

router = APIRouter(prefix="/api/v1")
MAX_RANGE = timedelta(days=366)


def _range(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    start = start or now
    end = end or start + timedelta(days=14)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidRequest("start and end need a timezone (e.g. 2026-11-22T00:00:00Z)")
    if end <= start or end - start > MAX_RANGE:
        raise InvalidRequest("end must be after start, at most 366 days later")
    return start, end


@router.post("/escalation-policies", response_model=PolicyOut, status_code=201, tags=["escalation"])
def create_policy(
    spec: PolicySpec, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> PolicyOut:
    """Create an escalation policy."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        policy = policies.create_policy(session, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        return PolicyOut.model_validate(policy)


@router.get("/escalation-policies", response_model=list[PolicyOut], tags=["escalation"])
def list_policies(sessions: Sessions, caller: CurrentCaller) -> list[PolicyOut]:
    """Every escalation policy."""
    del caller
    with sessions() as session:
        return [PolicyOut.model_validate(p) for p in policies.list_policies(session)]


@router.put("/escalation-policies/{policy_id}", response_model=PolicyOut, tags=["escalation"])
def update_policy(
    policy_id: uuid.UUID, spec: PolicySpec, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> PolicyOut:
    """Replace a policy; incidents already escalating keep the version they snapshotted."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        policy = policies.update_policy(
            session, policy_id, spec, now=clock.now(), actor=caller.actor
        )
        session.commit()
        return PolicyOut.model_validate(policy)


@router.post("/routing-rules", response_model=RoutingRuleOut, status_code=201, tags=["escalation"])
def create_rule(
    spec: RoutingRuleCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> RoutingRuleOut:
    """Add a routing rule (tried by position; the first match picks the policy)."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        rule = policies.create_rule(session, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        return RoutingRuleOut.model_validate(rule)


@router.get("/routing-rules", response_model=list[RoutingRuleOut], tags=["escalation"])
def list_rules(sessions: Sessions, caller: CurrentCaller) -> list[RoutingRuleOut]:
    """Routing rules in the order they are tried."""
    del caller
    with sessions() as session:
        return [RoutingRuleOut.model_validate(r) for r in policies.list_rules(session)]


@router.get(
    "/incidents/{incident_id}/escalation", response_model=EscalationOut, tags=["escalation"]
)
def get_escalation(incident_id: int, sessions: Sessions, caller: CurrentCaller) -> EscalationOut:
    """The incident's escalation state and policy snapshot."""
    del caller
    with sessions() as session:
        get_incident(session, incident_id)
        row = session.get(Escalation, incident_id)
        if row is None:
            raise NotFound(f"incident {incident_id} has no escalation (no routing rule matched)")
        return EscalationOut.model_validate(row)


@router.get(
    "/incidents/{incident_id}/deliveries", response_model=list[DeliveryOut], tags=["notifications"]
)
def get_deliveries(
    incident_id: int, sessions: Sessions, caller: CurrentCaller
) -> list[DeliveryOut]:
    """Every notification of the incident and where it stands."""
    del caller
    with sessions() as session:
        get_incident(session, incident_id)
        return [DeliveryOut.model_validate(d) for d in contacts.deliveries_of(session, incident_id)]


@router.post("/schedules", response_model=ScheduleOut, status_code=201, tags=["on-call"])
def create_schedule(
    spec: ScheduleCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> ScheduleOut:
    """Create an on-call schedule."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        row = store.create_schedule(session, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        return ScheduleOut.model_validate(row)


@router.get("/schedules", response_model=list[ScheduleOut], tags=["on-call"])
def list_schedules(sessions: Sessions, caller: CurrentCaller) -> list[ScheduleOut]:
    """Every schedule."""
    del caller
    with sessions() as session:
        return [ScheduleOut.model_validate(s) for s in store.list_schedules(session)]


@router.put("/schedules/{schedule_id}/layers", response_model=ScheduleOut, tags=["on-call"])
def replace_layers(
    schedule_id: uuid.UUID,
    layers: list[Layer],
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
) -> ScheduleOut:
    """Replace the schedule's layers (later layers override earlier ones)."""
    caller.require(Role.ADMIN)
    with sessions() as session:
        row = store.replace_layers(
            session, schedule_id, layers, now=clock.now(), actor=caller.actor
        )
        session.commit()
        return ScheduleOut.model_validate(row)


@router.post(
    "/schedules/{schedule_id}/overrides",
    response_model=OverrideOut,
    status_code=201,
    tags=["on-call"],
)
def add_override(
    schedule_id: uuid.UUID, span: SpanCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> OverrideOut:
    """Let someone cover the schedule for a span."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        row = store.add_override(session, schedule_id, span, now=clock.now(), actor=caller.actor)
        session.commit()
        return OverrideOut.model_validate(row)


@router.get("/schedules/{schedule_id}/on-call", response_model=OnCallOut, tags=["on-call"])
def who_is_on_call(
    schedule_id: uuid.UUID,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    at: datetime | None = None,
) -> OnCallOut:
    """Who is on call now (or `at` an instant)."""
    del caller
    instant = _range(at, None, clock.now())[0]
    with sessions() as session:
        users = store.who_is_on_call(session, schedule_id, instant)
    return OnCallOut(schedule_id=schedule_id, at=instant, user_ids=list(users))


@router.get("/schedules/{schedule_id}/timeline", response_model=list[ShiftOut], tags=["on-call"])
def schedule_timeline(
    schedule_id: uuid.UUID,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ShiftOut]:
    """The final on-call timeline (overrides, then layers by priority), two weeks by default."""
    del caller
    start, end = _range(start, end, clock.now())
    with sessions() as session:
        schedule = store.load(session, schedule_id, start, end)
    return [
        ShiftOut(
            user_id=uuid.UUID(s.user), start=s.start, end=s.end, source=s.source, layer=s.layer
        )
        for s in oncall.timeline(schedule, start, end)
    ]


@router.get("/schedules/{schedule_id}/gaps", response_model=list[GapOut], tags=["on-call"])
def schedule_gaps(
    schedule_id: uuid.UUID,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[GapOut]:
    """Spans with nobody on call."""
    del caller
    start, end = _range(start, end, clock.now())
    with sessions() as session:
        schedule = store.load(session, schedule_id, start, end)
    return [GapOut(start=a, end=b) for a, b in oncall.gaps(schedule, start, end)]


@router.get("/schedules/{schedule_id}/calendar.ics", tags=["on-call"], response_class=Response)
def schedule_calendar(
    schedule_id: uuid.UUID,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    start: datetime | None = None,
    end: datetime | None = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this person's shifts.")] = None,
) -> Response:
    """The schedule (or one person's shifts on it) as an iCalendar (RFC 5545) feed."""
    del caller
    now = clock.now()
    start, end = _range(start, end, now)
    with sessions() as session:
        schedule = store.load(session, schedule_id, start, end)
    if user_id is None:
        body = schedule_ical(schedule, start, end, name=schedule.name, stamp=now)
    else:
        body = user_ical(schedule, str(user_id), start, end, stamp=now)
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.post(
    "/users/{user_id}/time-off", response_model=TimeOffOut, status_code=201, tags=["on-call"]
)
def add_time_off(
    user_id: uuid.UUID, span: SpanCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> TimeOffOut:
    """Record time off: every schedule skips the person during it."""
    caller.require(Role.RESPONDER)
    if span.user_id != user_id:
        raise InvalidRequest("user_id in the body must match the path")
    with sessions() as session:
        row = store.add_time_off(session, span, now=clock.now(), actor=caller.actor)
        session.commit()
        return TimeOffOut.model_validate(row)


def _channel_out(channel: NotificationChannel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        name=channel.name,
        kind=channel.kind,
        address=channel.address,
        has_secret=channel.secret_sealed is not None,
        created_at=channel.created_at,
    )


@router.post(
    "/notification-channels", response_model=ChannelOut, status_code=201, tags=["notifications"]
)
def create_channel(
    spec: ChannelCreate, request: Request, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> ChannelOut:
    """Create a shared channel (Slack channel, webhook, PagerDuty service, mailing list)."""
    caller.require(Role.ADMIN)
    box: SecretBox = request.app.state.secret_box
    with sessions() as session:
        channel = contacts.create_channel(session, spec, box, now=clock.now(), actor=caller.actor)
        session.commit()
        return _channel_out(channel)


@router.get("/notification-channels", response_model=list[ChannelOut], tags=["notifications"])
def list_channels(sessions: Sessions, caller: CurrentCaller) -> list[ChannelOut]:
    """Every channel."""
    del caller
    with sessions() as session:
        return [_channel_out(c) for c in contacts.list_channels(session)]


def _may_edit(caller: CurrentCaller, user_id: uuid.UUID) -> None:
    if caller.user.id != user_id:
        caller.require(Role.ADMIN)


@router.post(
    "/users/{user_id}/contact-methods",
    response_model=ContactOut,
    status_code=201,
    tags=["notifications"],
)
def add_contact(
    user_id: uuid.UUID, spec: ContactCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> ContactOut:
    """Add a way to reach a person (themselves, or any person for an admin)."""
    _may_edit(caller, user_id)
    with sessions() as session:
        contact = contacts.add_contact(session, user_id, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        return ContactOut.model_validate(contact)


@router.post(
    "/users/{user_id}/notification-rules",
    response_model=RuleOut,
    status_code=201,
    tags=["notifications"],
)
def add_rule(
    user_id: uuid.UUID, spec: RuleCreate, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> RuleOut:
    """Add a personal notification rule: this contact method, this many minutes after a page."""
    _may_edit(caller, user_id)
    with sessions() as session:
        rule = contacts.add_rule(session, user_id, spec, now=clock.now(), actor=caller.actor)
        session.commit()
        return RuleOut.model_validate(rule)


@router.get("/users/{user_id}/contacts", response_model=ContactsOut, tags=["notifications"])
def get_contacts(user_id: uuid.UUID, sessions: Sessions, caller: CurrentCaller) -> ContactsOut:
    """A person's contact methods and notification rules."""
    _may_edit(caller, user_id)
    with sessions() as session:
        methods, rules = contacts.contacts_of(session, user_id)
        return ContactsOut(
            contact_methods=[ContactOut.model_validate(c) for c in methods],
            rules=[RuleOut.model_validate(r) for r in rules],
        )
