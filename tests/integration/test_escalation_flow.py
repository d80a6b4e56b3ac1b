"""Escalation end to end on both databases: ingest, policy snapshot, steps, outbox, sent pages."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, event, select
from sqlmodel import col

from connectors.notify.models import Message, Receipt
from core.clock import ManualClock
from core.crypto import SecretBox
from core.db.engine import SessionFactory, make_session_factory
from core.jobs.queue import JobQueue
from core.jobs.worker import HandlerRegistry, Worker
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.escalation.policies import (
    RoutingRuleCreate,
    create_policy,
    create_rule,
    update_policy,
)
from incidents.escalation.policy import PolicySpec
from incidents.escalation.service import Escalator
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from incidents.lifecycle import Action
from incidents.models.escalation import Escalation, RoutingRule
from incidents.models.incident import TimelineEntry
from incidents.models.notification import ChannelKind, Delivery, DeliveryStatus
from incidents.models.people import Role
from incidents.notifications.contacts import (
    ChannelCreate,
    ContactCreate,
    RuleCreate,
    add_contact,
    add_rule,
    create_channel,
)
from incidents.notifications.outbox import DELIVER_JOB, RateLimit
from incidents.notifications.sender import DeliverySender, Notifiers
from incidents.oncall.model import Layer, TurnLength
from incidents.oncall.store import ScheduleCreate, SpanCreate, add_time_off, create_schedule
from incidents.people import UserCreate, create_user
from incidents.service import change_status

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@dataclass
class Recorder:
    """A notifier of our own port that records what it was asked to send."""

    sent: list[tuple[str, str, Message]] = field(default_factory=list)

    def send(self, target: Any, message: Message) -> Receipt:
        self.sent.append((target.kind, target.label(), message))
        return Receipt(channel=target.kind, target=target.label(), provider_id=f"p{len(self.sent)}")

    def close(self) -> None:
        pass


@dataclass
class World:
    sessions: SessionFactory
    clock: ManualClock
    recorder: Recorder
    escalator: Escalator
    worker: Worker
    integration_id: uuid.UUID
    users: dict[str, uuid.UUID]
    policy_id: uuid.UUID

    def alert(self, fingerprint: str, severity: Severity = Severity.CRITICAL) -> int:
        alert = AlertIn(
            source=Source.GENERIC,
            fingerprint=fingerprint,
            status=AlertState.FIRING,
            severity=severity,
            summary=f"{fingerprint} is down",
        )
        result = IngestService(self.sessions, self.clock).ingest(self.integration_id, [alert])
        incident_id = result.alerts[0].incident_id
        assert incident_id is not None
        return incident_id

    def run(self) -> None:
        """One pass of a worker: due escalation steps, then due deliveries."""
        self.escalator.tick()
        while self.worker.run_once():
            pass

    def at(self, minutes: float) -> None:
        self.clock.set(T0 + timedelta(minutes=minutes))
        self.run()

    def sent_to(self) -> list[tuple[str, str]]:
        return [(kind, label) for kind, label, _ in self.recorder.sent]

    def deliveries(self, incident_id: int) -> list[Delivery]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Delivery)
                    .where(col(Delivery.incident_id) == incident_id)
                    .order_by(col(Delivery.id))
                )
            )

    def timeline(self, incident_id: int) -> list[str]:
        with self.sessions() as session:
            rows = session.scalars(
                select(TimelineEntry)
                .where(col(TimelineEntry.incident_id) == incident_id)
                .order_by(col(TimelineEntry.id))
            )
            return [r.summary for r in rows]


@pytest.fixture
def world(engine: Engine) -> World:
    sessions = make_session_factory(engine)
    clock = ManualClock(T0)
    with sessions() as session:
        users = {}
        for name in ("ada", "bob", "cy"):
            user, _ = create_user(
                session,
                UserCreate(name=name.title(), email=f"{name}@example.com", role=Role.RESPONDER),
                now=T0,
                actor="test",
            )
            users[name] = user.id
        sms = add_contact(
            session,
            users["ada"],
            ContactCreate(kind=ChannelKind.SMS, address="+15550000001"),
            now=T0,
            actor="test",
        )
        mail = add_contact(
            session,
            users["ada"],
            ContactCreate(kind=ChannelKind.EMAIL, address="ada@example.com"),
            now=T0,
            actor="test",
        )
        add_rule(
            session,
            users["ada"],
            RuleCreate(contact_method_id=mail.id, delay_minutes=0),
            now=T0,
            actor="test",
        )
        add_rule(
            session,
            users["ada"],
            RuleCreate(contact_method_id=sms.id, delay_minutes=2),
            now=T0,
            actor="test",
        )
        schedule = create_schedule(
            session,
            ScheduleCreate(
                name="primary",
                timezone="UTC",
                layers=[
                    Layer(
                        name="l1",
                        participants=[str(users["bob"])],
                        start=T0 - timedelta(days=1),
                        turn=TurnLength(kind="weekly"),
                    ),
                ],
            ),
            now=T0,
            actor="test",
        )
        policy = create_policy(
            session,
            PolicySpec.model_validate(
                {
                    "name": "default",
                    "ack_timeout_minutes": 30,
                    "steps": [
                        {"type": "notify_users", "users": [str(users["ada"])]},
                        {"type": "wait", "minutes": 5},
                        {"type": "notify_schedule", "schedule_id": str(schedule.id)},
                        {"type": "wait", "minutes": 5},
                        {"type": "repeat", "times": 1},
                    ],
                }
            ),
            now=T0,
            actor="test",
        )
        integration, _ = create_integration(
            session, IntegrationCreate(name="generic", source=Source.GENERIC), now=T0, actor="test"
        )
        create_rule(
            session,
            RoutingRuleCreate(name="all", position=0, policy_id=policy.id),
            now=T0,
            actor="test",
        )
        session.commit()
    recorder = Recorder()
    notifiers = Notifiers(
        email=recorder, sms=recorder, slack=recorder, webhook=recorder, pagerduty=recorder
    )
    registry = HandlerRegistry()
    sender = DeliverySender(sessions, clock, notifiers, SecretBox("k" * 40), "http://pv.example")
    registry.register_batch(DELIVER_JOB, sender.run, size=20)
    worker = Worker(JobQueue(sessions, clock), registry, name="w")
    escalator = Escalator(sessions, clock, rate_limit=RateLimit(count=5, window_s=60))
    return World(sessions, clock, recorder, escalator, worker, integration.id, users, policy.id)


def test_pages_follow_the_policy_and_personal_rules(world: World) -> None:
    incident = world.alert("db1")
    world.at(0)
    assert world.sent_to() == [("email", "ada@example.com")]
    world.at(2)  # Ada's second rule: SMS two minutes after the page
    assert world.sent_to()[-1] == ("sms", "+15550000001")
    world.at(5)  # step 3: whoever is on call (Bob) — by e-mail, his default
    assert world.sent_to()[-1] == ("email", "bob@example.com")
    world.at(10)  # repeat once: Ada again, then Bob
    world.at(12)
    world.at(15)
    world.at(20)
    world.at(60)
    assert [label for _, label in world.sent_to()] == [
        "ada@example.com",
        "+15550000001",
        "bob@example.com",
        "ada@example.com",
        "+15550000001",
        "bob@example.com",
    ]
    timeline = world.timeline(incident)
    assert "escalating with policy 'default' (version 1)" in timeline
    assert "repeating the policy from the start (1 of 1)" in timeline
    assert timeline.count("notified Ada by email") == 2 and "escalation policy finished" in timeline
    assert all(d.status == DeliveryStatus.SENT for d in world.deliveries(incident))
    message = world.recorder.sent[0][2]
    assert (
        message.title == "db1 is down"
        and message.url == f"http://pv.example/api/v1/incidents/{incident}"
    )


def test_acknowledgement_stops_paging_and_cancels_pending_pages(world: World) -> None:
    incident = world.alert("db2")
    world.at(0)
    world.clock.set(T0 + timedelta(minutes=1))
    with world.sessions() as session:
        change_status(
            session,
            incident,
            Action.ACKNOWLEDGE,
            now=world.clock.now(),
            actor=f"user:{world.users['ada']}",
        )
        session.commit()
    world.at(3)
    world.at(10)
    assert world.sent_to() == [("email", "ada@example.com")]  # no SMS, no Bob
    statuses = [d.status for d in world.deliveries(incident)]
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.CANCELLED]
    with world.sessions() as session:
        row = session.get(Escalation, incident)
        assert row is not None and row.status == "acknowledged"
        assert row.next_step_at == T0 + timedelta(minutes=31)

    world.at(31)  # acknowledged but not resolved for 30 minutes: back to triggered, paging again
    assert world.sent_to()[-1] == ("email", "ada@example.com")
    assert "not resolved 30 min after acknowledgement: escalating again" in world.timeline(incident)
    with world.sessions() as session:
        change_status(session, incident, Action.RESOLVE, now=world.clock.now(), actor="user:x")
        session.commit()
    world.at(120)
    assert len(world.recorder.sent) == 2


def test_editing_a_policy_never_changes_a_page_in_flight(world: World) -> None:
    incident = world.alert("db3")
    world.at(0)
    with world.sessions() as session:
        spec = PolicySpec.model_validate(
            {
                "name": "default",
                "steps": [{"type": "notify_users", "users": [str(world.users["cy"])]}],
            }
        )
        update_policy(session, world.policy_id, spec, now=world.clock.now(), actor="test")
        session.commit()
    world.at(5)
    assert ("email", "bob@example.com") in world.sent_to()  # the snapshot, not the edit
    assert ("email", "cy@example.com") not in world.sent_to()
    later = world.alert("db4")
    world.at(6)
    assert world.sent_to()[-1] == ("email", "cy@example.com")  # a new incident uses the new version
    with world.sessions() as session:
        versions = {session.get(Escalation, i).policy_version for i in (incident, later)}  # type: ignore[union-attr]
    assert versions == {1, 2}


def test_a_storm_pages_each_person_a_few_times_then_once_with_a_summary(world: World) -> None:
    incidents = [world.alert(f"node{n}") for n in range(8)]
    world.at(0)
    emails = [m for kind, label, m in world.recorder.sent if label == "ada@example.com"]
    assert len(emails) == 5
    held = [
        d
        for i in incidents
        for d in world.deliveries(i)
        if d.status == DeliveryStatus.COALESCED and d.kind == "email"
    ]
    assert len(held) == 3
    world.at(1)
    summaries = [
        m
        for _, label, m in world.recorder.sent
        if m.event == "summary" and label == "ada@example.com"
    ]
    assert len(summaries) == 1
    assert summaries[0].title == "3 more pages held back by the rate limit"
    assert all(f"#{i}" in summaries[0].summary for i in incidents[5:])


def test_no_routing_rule_means_an_explicit_note(world: World) -> None:
    with world.sessions() as session:
        for rule in session.scalars(select(RoutingRule)):
            session.delete(rule)
        session.commit()
    incident = world.alert("lonely")
    world.at(0)
    assert world.recorder.sent == []
    assert "no routing rule matches: nobody is paged" in world.timeline(incident)


def test_nobody_on_call_is_recorded_and_skipped(world: World) -> None:
    with world.sessions() as session:
        add_time_off(
            session,
            SpanCreate(user_id=world.users["bob"], start=T0, end=T0 + timedelta(days=1)),
            now=T0,
            actor="test",
        )
        session.commit()
    incident = world.alert("db5")
    world.at(0)
    world.at(5)
    assert ("email", "bob@example.com") not in world.sent_to()
    assert any(
        "nobody on call on schedule" in line and "skipped" in line
        for line in world.timeline(incident)
    )


def test_channels_hear_of_acknowledgement_and_resolution(world: World) -> None:
    with world.sessions() as session:
        for rule in session.scalars(select(RoutingRule)):
            session.delete(rule)
        channel = create_channel(
            session,
            ChannelCreate(
                name="pd",
                kind=ChannelKind.PAGERDUTY,
                address="payments",
                secret=SecretStr("R0UT1NGKEY"),
            ),
            SecretBox("k" * 40),
            now=T0,
            actor="test",
        )
        spec = PolicySpec.model_validate(
            {"name": "to-pd", "steps": [{"type": "notify_channel", "channel_id": str(channel.id)}]}
        )
        policy = create_policy(session, spec, now=T0, actor="test")
        create_rule(
            session,
            RoutingRuleCreate(name="pd", position=0, policy_id=policy.id),
            now=T0,
            actor="test",
        )
        session.commit()
    incident = world.alert("api")
    world.at(0)
    for minutes, action in ((1, Action.ACKNOWLEDGE), (2, Action.RESOLVE)):
        world.clock.set(T0 + timedelta(minutes=minutes))
        with world.sessions() as session:
            change_status(session, incident, action, now=world.clock.now(), actor="user:x")
            session.commit()
        world.run()
    events = [(kind, m.event) for kind, _, m in world.recorder.sent]
    assert events == [
        ("pagerduty", "trigger"),
        ("pagerduty", "acknowledge"),
        ("pagerduty", "resolve"),
    ]
    assert {m.incident_id for _, _, m in world.recorder.sent} == {incident}


def test_a_tick_runs_ten_steps_with_one_savepoint_each_and_one_incident_lock(
    world: World, engine: Engine
) -> None:
    incidents = [world.alert(f"web{n}") for n in range(12)]
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert world.escalator.tick() == 10  # the default batch: a page waits for its batch
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert world.escalator.tick() == 2
    # A savepoint per step, none per outbox row or job (ON CONFLICT DO NOTHING instead).
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 10
    # The ten incidents locked in one statement, not one each.
    assert sum(s.startswith("SELECT") and " FROM incidents " in f"{s} " for s in statements) == 1
    # No round-robin step in the policy: no round-robin lookup.
    assert not any("round_robin_positions" in s for s in statements)
    with world.sessions() as session:
        rows = session.scalars(select(Delivery).where(col(Delivery.incident_id).in_(incidents)))
        assert Counter(d.incident_id for d in rows) == dict.fromkeys(incidents, 2)  # e-mail, SMS


def test_a_step_run_again_queues_no_second_page(world: World) -> None:
    incident = world.alert("db9")
    world.at(0)
    with world.sessions() as session:  # as if the tick's commit had been lost after sending
        row = session.get(Escalation, incident)
        assert row is not None
        row.status, row.step_index, row.next_step_at = "active", 0, world.clock.now()
        session.commit()
    world.at(0)
    assert world.sent_to() == [("email", "ada@example.com")]
    assert len(world.deliveries(incident)) == 2  # e-mail now, SMS in two minutes: once each
