"""Deliveries sent a batch at a time, on both databases: claimed together, each sent once,
each failure its own, every outcome recorded together."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select, update
from sqlmodel import col

from connectors.notify.models import Message, Receipt
from core.clock import ManualClock
from core.crypto import SecretBox
from core.db.engine import SessionFactory, make_session_factory
from core.errors import Forbidden, InvalidRequest, Unavailable
from core.jobs.models import Job, JobStatus
from core.jobs.queue import JobQueue, enqueue
from core.jobs.worker import HandlerRegistry, Worker
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.incident import Incident, TimelineEntry, TimelineKind
from incidents.models.notification import (
    ChannelKind,
    Delivery,
    DeliveryStatus,
    NotificationChannel,
)
from incidents.notifications import sender as sender_module
from incidents.notifications.contacts import ChannelCreate, create_channel
from incidents.notifications.outbox import DELIVER_JOB, post_channel
from incidents.notifications.sender import DeliverySender, Notifiers

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
BOX = SecretBox("k" * 40)


@dataclass
class Scripted:
    """A notifier of our port: answers by target label, records every send, counts closes."""

    failures: dict[str, Exception] = field(default_factory=dict)
    during_send: Callable[[], None] | None = None
    sent: list[str] = field(default_factory=list)
    closed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, target: Any, message: Message) -> Receipt:
        if self.during_send is not None:
            self.during_send()
        label = target.label()
        with self._lock:
            self.sent.append(message.idempotency_key)
        if label in self.failures:
            raise self.failures[label]
        return Receipt(channel=target.kind, target=label, provider_id=f"p-{label}")

    def close(self) -> None:
        self.closed += 1


@dataclass
class Outbox:
    sessions: SessionFactory
    clock: ManualClock
    incident_id: int

    def channel(self, kind: ChannelKind, address: str, secret: str | None = None) -> uuid.UUID:
        with self.sessions() as session:
            channel = create_channel(
                session,
                ChannelCreate(
                    name=f"{kind}-{address}",
                    kind=kind,
                    address=address,
                    secret=SecretStr(secret) if secret else None,
                ),
                BOX,
                now=T0,
                actor="test",
            )
            session.commit()
            return channel.id

    def post(self, channel_id: uuid.UUID, key: str) -> int:
        """Queue a trigger to a channel; return the delivery's id."""
        with self.sessions() as session:
            incident = session.get(Incident, self.incident_id)
            channel = session.get(NotificationChannel, channel_id)
            assert incident is not None and channel is not None
            delivery = post_channel(
                session,
                incident=incident,
                channel=channel,
                event="trigger",
                key=key,
                now=self.clock.now(),
            )
            session.commit()
            assert delivery is not None and delivery.id is not None
            return delivery.id

    def deliveries(self) -> dict[int, Delivery]:
        with self.sessions() as session:
            return {d.id: d for d in session.scalars(select(Delivery)) if d.id is not None}

    def job_of(self, delivery_id: int) -> Job:
        with self.sessions() as session:
            return session.scalars(
                select(Job).where(col(Job.dedup_key) == f"delivery:{delivery_id}")
            ).one()

    def timeline(self) -> list[str]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(col(TimelineEntry.summary))
                    .where(col(TimelineEntry.kind) == TimelineKind.NOTIFICATION_SENT)
                    .order_by(col(TimelineEntry.id))
                )
            )


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    sessions = make_session_factory(engine)
    clock = ManualClock(T0)
    with sessions() as session:
        integration, _ = create_integration(
            session, IntegrationCreate(name="generic", source=Source.GENERIC), now=T0, actor="t"
        )
        session.commit()
    alert = AlertIn(
        source=Source.GENERIC,
        fingerprint="db1",
        status=AlertState.FIRING,
        severity=Severity.CRITICAL,
        summary="db1 is down",
    )
    incident_id = (
        IngestService(sessions, clock, triage=False)
        .ingest(integration.id, [alert])
        .alerts[0]
        .incident_id
    )
    assert incident_id is not None
    return Outbox(sessions, clock, incident_id)


def worker_for(outbox: Outbox, notifiers: Notifiers, *, size: int, parallel: int = 1) -> Worker:
    sender = DeliverySender(
        outbox.sessions,
        outbox.clock,
        notifiers,
        BOX,
        "http://pv.example",
        send_concurrency=parallel,
    )
    registry = HandlerRegistry()
    registry.register_batch(DELIVER_JOB, sender.run, size=size)
    return Worker(JobQueue(outbox.sessions, outbox.clock), registry, name="w")


def test_one_failing_delivery_does_not_hold_back_the_others(outbox: Outbox) -> None:
    slack, mail, hook, pd = Scripted(), Scripted(), Scripted(), Scripted()
    slack.failures["C-down"] = Unavailable("slack C-down: HTTP 503")
    mail.failures["ops@example.com"] = InvalidRequest("email ops@...: recipient refused")
    hook.failures["https://hooks.example.com/..."] = Forbidden("webhook: HTTP 401")
    ids = {
        name: outbox.post(outbox.channel(kind, address, secret), name)
        for name, kind, address, secret in [
            ("slack-ok", ChannelKind.SLACK, "C-ok", None),
            ("slack-down", ChannelKind.SLACK, "C-down", None),
            ("mail", ChannelKind.EMAIL, "ops@example.com", None),
            ("hook", ChannelKind.WEBHOOK, "https://hooks.example.com/x", "s3cret"),
            ("pd", ChannelKind.PAGERDUTY, "payments", "R0UT1NG"),
            ("sms", ChannelKind.SMS, "+15550000001", None),  # SMS is not configured
        ]
    }
    with outbox.sessions() as session:  # and a job whose payload names no delivery
        broken = [
            enqueue(session, kind=DELIVER_JOB, now=T0, payload=payload)
            for payload in ({"delivery": "?"}, {"delivery_id": 2**70})
        ]
        session.commit()
    notifiers = Notifiers(slack=slack, email=mail, webhook=hook, pagerduty=pd)
    worker = worker_for(outbox, notifiers, size=20)

    assert worker.run_once() == 8  # one batch
    rows = outbox.deliveries()
    status = {name: rows[i].status for name, i in ids.items()}
    assert status == {
        "slack-ok": DeliveryStatus.SENT,
        "slack-down": DeliveryStatus.FAILED,
        "mail": DeliveryStatus.GAVE_UP,
        "hook": DeliveryStatus.GAVE_UP,
        "pd": DeliveryStatus.SENT,
        "sms": DeliveryStatus.GAVE_UP,
    }
    assert rows[ids["pd"]].provider_id == "p-routing key ...T1NG" and rows[ids["pd"]].sent_at == T0
    assert "sms notifications are not configured" in (rows[ids["sms"]].last_error or "")
    jobs = {name: outbox.job_of(i) for name, i in ids.items()}
    assert {name: j.status for name, j in jobs.items()} == {
        "slack-ok": JobStatus.SUCCEEDED,
        "slack-down": JobStatus.QUEUED,  # retried with backoff
        "mail": JobStatus.FAILED,
        "hook": JobStatus.FAILED,
        "pd": JobStatus.SUCCEEDED,
        "sms": JobStatus.FAILED,
    }
    with outbox.sessions() as session:
        for job in broken:
            stored = session.get(Job, job.id)
            assert stored is not None and stored.status == JobStatus.FAILED
            assert "payload names no delivery" in (stored.last_error or "")
    timeline = outbox.timeline()
    assert len(timeline) == 5  # none yet for the page that will be retried
    assert sum(line.startswith("notified ") for line in timeline) == 2
    assert any(
        "could not notify https://hooks.example.com/x: webhook: HTTP 401" in t for t in timeline
    )

    del slack.failures["C-down"]
    outbox.clock.set(jobs["slack-down"].run_at)
    assert worker.run_once() == 1
    assert outbox.deliveries()[ids["slack-down"]].status == DeliveryStatus.SENT
    assert len(slack.sent) == 3  # C-ok once, C-down twice
    assert len(mail.sent) == len(hook.sent) == len(pd.sent) == 1  # nothing else sent again


@pytest.mark.parametrize("parallel", [1, 4])
def test_a_batch_is_claimed_before_its_sends_and_recorded_after_them(
    outbox: Outbox, parallel: int
) -> None:
    channel = outbox.channel(ChannelKind.WEBHOOK, "https://hooks.example.com/a", "s3cret")
    ids = [outbox.post(channel, f"page{n}") for n in range(5)]
    seen: list[tuple[set[str], set[str], set[int]]] = []

    def look() -> None:  # what the database holds while the batch's messages go out
        with outbox.sessions() as session:
            jobs = set(session.scalars(select(col(Job.status))))
            deliveries = set(session.scalars(select(col(Delivery.status))))
            attempts = set(session.scalars(select(col(Delivery.attempts))))
        seen.append((jobs, deliveries, attempts))

    hook = Scripted(during_send=look)
    worker = worker_for(outbox, Notifiers(webhook=hook), size=10, parallel=parallel)
    assert worker.run_once() == 5
    # every job claimed and every delivery prepared before the first send; none recorded yet
    assert seen == [({JobStatus.RUNNING}, {DeliveryStatus.PENDING}, {1})] * 5
    rows = outbox.deliveries()
    assert {rows[i].status for i in ids} == {DeliveryStatus.SENT}
    assert sorted(hook.sent) == sorted(rows[i].idempotency_key for i in ids)
    assert outbox.timeline() == ["notified https://hooks.example.com/a"] * 5


def test_each_claimed_job_is_sent_once_and_a_sent_delivery_never_again(outbox: Outbox) -> None:
    channel = outbox.channel(ChannelKind.SLACK, "C1")
    ids = [outbox.post(channel, f"page{n}") for n in range(25)]
    slack = Scripted()
    worker = worker_for(outbox, Notifiers(slack=slack), size=10)

    assert [worker.run_once() for _ in range(4)] == [10, 10, 5, 0]
    rows = outbox.deliveries()
    assert sorted(slack.sent) == sorted(rows[i].idempotency_key for i in ids)
    assert {rows[i].status for i in ids} == {DeliveryStatus.SENT}

    # A job run again (its worker died after recording, before finishing it) sends nothing.
    with outbox.sessions() as session:
        session.execute(
            update(Job)
            .where(col(Job.dedup_key) == f"delivery:{ids[0]}")
            .values(status=JobStatus.QUEUED)
        )
        session.commit()
    assert worker.run_once() == 1
    assert len(slack.sent) == 25
    assert outbox.job_of(ids[0]).status == JobStatus.SUCCEEDED


def test_a_delivery_that_cannot_be_prepared_is_retried_alone(outbox: Outbox) -> None:
    channel = outbox.channel(ChannelKind.SLACK, "C1")
    good = outbox.post(channel, "good")
    with outbox.sessions() as session:  # a summary whose window was lost: its message fails
        broken = Delivery(
            idempotency_key="summary:broken",
            kind=ChannelKind.SLACK,
            address="C1",
            event="summary",
            message={},
            status=DeliveryStatus.PENDING,
            send_after=T0,
            created_at=T0,
            updated_at=T0,
        )
        session.add(broken)
        session.flush()
        enqueue(
            session,
            kind=DELIVER_JOB,
            now=T0,
            payload={"delivery_id": broken.id},
            dedup_key=f"delivery:{broken.id}",
        )
        session.commit()
        assert broken.id is not None
    slack = Scripted()
    assert worker_for(outbox, Notifiers(slack=slack), size=10).run_once() == 2
    rows = outbox.deliveries()
    assert rows[good].status == DeliveryStatus.SENT and len(slack.sent) == 1
    assert rows[broken.id].status == DeliveryStatus.PENDING
    job = outbox.job_of(broken.id)
    assert job.status == JobStatus.QUEUED and "KeyError" in (job.last_error or "")


def test_closing_the_sender_closes_each_notifier_once(outbox: Outbox) -> None:
    shared, mail = Scripted(), Scripted()
    sender = DeliverySender(
        outbox.sessions,
        outbox.clock,
        Notifiers(slack=shared, webhook=shared, email=mail),
        BOX,
        "http://pv.example",
        send_concurrency=4,
    )
    sender.close()
    assert (shared.closed, mail.closed) == (1, 1)


def test_when_the_batch_cannot_be_read_every_job_is_retried_and_nothing_sent(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = outbox.channel(ChannelKind.SLACK, "C1")
    ids = [outbox.post(channel, f"page{n}") for n in range(3)]

    def database_gone(*_args: object) -> dict[int, Delivery]:
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(sender_module, "_locked", database_gone)
    slack = Scripted()
    assert worker_for(outbox, Notifiers(slack=slack), size=10).run_once() == 3
    assert slack.sent == []
    rows = outbox.deliveries()
    assert {(rows[i].status, rows[i].attempts) for i in ids} == {(DeliveryStatus.PENDING, 0)}
    jobs = [outbox.job_of(i) for i in ids]
    assert {j.status for j in jobs} == {JobStatus.QUEUED}
    assert {j.last_error for j in jobs} == {
        "preparing the batch failed: ConnectionError: server closed the connection unexpectedly"
    }
