"""Sending deliveries: the batch handler of the `notification.deliver` job.

One batch is three steps. One transaction claims up to a batch of due jobs and
prepares their deliveries: one SELECT each for the deliveries (locked), their
incidents and their channels; a delivery no longer pending (already sent,
cancelled) is left alone, so nothing recorded as sent is ever sent again. The
messages then go out outside any transaction, in parallel up to
`send_concurrency`, each through its channel's long-lived notifier. One more
transaction records every outcome with its timeline entry and finishes the jobs.

Each delivery's failure is its own: failures the provider may recover from
(timeouts, 5xx, 429) retry that delivery's job with backoff; those it never will
(a bad address, refused credentials, an unconfigured channel) give it up at
once; the other deliveries of the batch are recorded as they went.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from connectors.notify.errors import RateLimited
from connectors.notify.models import (
    EmailTarget,
    Message,
    PagerDutyTarget,
    SlackTarget,
    SmsTarget,
    WebhookTarget,
)
from connectors.notify.port import Notifier
from core.clock import Clock
from core.crypto import SecretBox
from core.db.engine import SessionFactory
from core.errors import ConfigError, Forbidden, InvalidRequest, Unavailable
from core.jobs.batch import JobBatch
from core.jobs.models import ClaimedJob, JobOutcome
from core.logs import get_logger
from incidents.audit import timeline
from incidents.models.incident import Incident, TimelineKind
from incidents.models.notification import Delivery, DeliveryStatus, NotificationChannel
from incidents.models.people import User
from incidents.notifications.compose import Target, message_of, target_of
from incidents.notifications.outbox import still_needed

log = get_logger(__name__)
RowT = TypeVar("RowT", Incident, NotificationChannel, User)
UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
"""Statuses of a delivery that is still to be sent."""


@dataclass(frozen=True)
class Notifiers:
    """The configured channels; None where a channel is not configured."""

    slack: Notifier[SlackTarget] | None = None
    email: Notifier[EmailTarget] | None = None
    sms: Notifier[SmsTarget] | None = None
    pagerduty: Notifier[PagerDutyTarget] | None = None
    webhook: Notifier[WebhookTarget] | None = None

    def close(self) -> None:
        """Close every notifier (each once, when one serves several channels)."""
        closed: set[int] = set()
        for notifier in (self.slack, self.email, self.sms, self.pagerduty, self.webhook):
            if notifier is not None and id(notifier) not in closed:
                closed.add(id(notifier))
                notifier.close()


@dataclass(frozen=True, kw_only=True)
class _Send:
    """A delivery prepared in the claim's transaction, to send outside any."""

    job: ClaimedJob
    delivery_id: int
    kind: str
    target: Target
    message: Message


@dataclass(frozen=True, kw_only=True)
class _Result:
    """What became of one delivery, to record and to settle its job with."""

    job: ClaimedJob
    delivery_id: int
    status: DeliveryStatus
    error: str | None = None
    provider_id: str | None = None
    retryable: bool = False

    def outcome(self) -> JobOutcome:
        if self.status == DeliveryStatus.SENT:
            return JobOutcome(job=self.job)
        error = f"delivery {self.delivery_id}: {self.error}"
        return JobOutcome(job=self.job, error=error, retryable=self.retryable)


class DeliverySender:
    """Sends the deliveries of `notification.deliver` jobs, a batch at a time."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        notifiers: Notifiers,
        box: SecretBox,
        public_url: str,
        *,
        send_concurrency: int = 1,
    ) -> None:
        """Send through `notifiers`; `box` opens channel secrets; links start at `public_url`.

        `send_concurrency`: sends in flight at once (threads shared by every
        batch of this sender); 1 sends each batch in series on the worker thread.
        """
        self._sessions, self._clock, self._notifiers, self._box = sessions, clock, notifiers, box
        self._public_url = public_url.rstrip("/")
        self._pool = (
            ThreadPoolExecutor(max_workers=send_concurrency, thread_name_prefix="pixelview-send")
            if send_concurrency > 1
            else None
        )

    def run(self, batch: JobBatch) -> None:
        """Claim, send and record one batch of deliveries (a `core.jobs.batch` handler)."""
        sends = self._prepare(batch)
        if sends:
            self._record(batch, self._send_all(sends))

    def close(self) -> None:
        """Wait for sends in flight, then close the notifiers' connections."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._notifiers.close()

    def _prepare(self, batch: JobBatch) -> list[_Send]:
        now = self._clock.now()
        with self._sessions() as session:
            jobs = batch.claim(session)
            if not jobs:
                session.rollback()
                return []
            try:
                with session.begin_nested():
                    sends, outcomes = self._plan(session, jobs, now)
            except Exception as e:  # the batch's reads failed: queue every job for a retry
                log.exception("notification.prepare_failed", jobs=len(jobs))
                error = f"preparing the batch failed: {type(e).__name__}: {e}"
                sends, outcomes = [], [JobOutcome(job=job, error=error) for job in jobs]
            batch.settle(session, outcomes)
            session.commit()
        return sends

    def _plan(
        self, session: Session, jobs: Sequence[ClaimedJob], now: datetime
    ) -> tuple[list[_Send], list[JobOutcome]]:
        """The sends of the claimed jobs, and the outcomes of the jobs with nothing to send."""
        outcomes: list[JobOutcome] = []
        wanted: dict[uuid.UUID, int] = {}
        for job in jobs:
            delivery_id = _delivery_id(job)
            if delivery_id is None:
                error = f"payload names no delivery: {job.payload!r}"
                outcomes.append(JobOutcome(job=job, error=error, retryable=False))
            else:
                wanted[job.id] = delivery_id
        deliveries = _locked(session, wanted.values())
        incidents = _by_id(
            session, Incident, {d.incident_id for d in deliveries.values() if d.incident_id}
        )
        channels = _by_id(
            session,
            NotificationChannel,
            {d.channel_id for d in deliveries.values() if d.channel_id is not None},
        )
        sends: list[_Send] = []
        gave_up: list[_Result] = []
        for job in jobs:
            if job.id not in wanted:
                continue  # its payload is broken: settled above
            delivery = deliveries.get(wanted[job.id])
            if delivery is None or delivery.status not in UNSENT:
                outcomes.append(JobOutcome(job=job))  # deleted, sent already, or cancelled
                continue
            assert delivery.id is not None
            incident = incidents.get(delivery.incident_id) if delivery.incident_id else None
            if not still_needed(delivery, incident):
                delivery.status, delivery.updated_at = DeliveryStatus.CANCELLED, now
                outcomes.append(JobOutcome(job=job))
                continue
            try:
                target = target_of(delivery, channels.get(delivery.channel_id), self._box)
                message = message_of(session, delivery, incident, self._public_url)
            except (InvalidRequest, ConfigError) as e:
                gave_up.append(
                    _Result(
                        job=job,
                        delivery_id=delivery.id,
                        status=DeliveryStatus.GAVE_UP,
                        error=e.message,
                    )
                )
                continue
            except Exception as e:  # one broken delivery must not hold back the others
                log.exception("notification.prepare_failed", delivery_id=delivery.id)
                error = f"delivery {delivery.id}: {type(e).__name__}: {e}"
                outcomes.append(JobOutcome(job=job, error=error))
                continue
            delivery.attempts += 1
            delivery.updated_at = now
            sends.append(
                _Send(
                    job=job,
                    delivery_id=delivery.id,
                    kind=delivery.kind,
                    target=target,
                    message=message,
                )
            )
        _record_results(session, deliveries, gave_up, now)
        return sends, outcomes + [r.outcome() for r in gave_up]

    def _send_all(self, sends: list[_Send]) -> list[_Result]:
        if self._pool is None or len(sends) == 1:
            return [self._send(s) for s in sends]
        return list(self._pool.map(self._send, sends))

    def _send(self, send: _Send) -> _Result:
        def result(status: DeliveryStatus, **fields: Any) -> _Result:
            return _Result(job=send.job, delivery_id=send.delivery_id, status=status, **fields)

        last = send.job.attempt >= send.job.max_attempts
        retry_status = DeliveryStatus.GAVE_UP if last else DeliveryStatus.FAILED
        try:
            notifier: Any = getattr(self._notifiers, send.kind, None)
            if notifier is None:
                raise ConfigError(
                    f"{send.kind} notifications are not configured (see the notify settings)"
                )
            receipt = notifier.send(send.target, send.message)
        except (InvalidRequest, Forbidden, ConfigError) as e:
            return result(DeliveryStatus.GAVE_UP, error=e.message)
        except Unavailable as e:
            if isinstance(e, RateLimited):
                log.info(
                    "notification.rate_limited",
                    delivery_id=send.delivery_id,
                    retry_after_s=e.retry_after_s,
                )
            return result(retry_status, error=e.message, retryable=True)
        except Exception as e:  # a notifier's bug: record it on this delivery, retry it
            log.exception("notification.send_failed", delivery_id=send.delivery_id)
            return result(retry_status, error=f"{type(e).__name__}: {e}", retryable=True)
        return result(DeliveryStatus.SENT, provider_id=receipt.provider_id)

    def _record(self, batch: JobBatch, results: list[_Result]) -> None:
        now = self._clock.now()
        with self._sessions() as session:
            deliveries = _locked(session, (r.delivery_id for r in results))
            _record_results(session, deliveries, results, now)
            batch.settle(session, [r.outcome() for r in results])
            session.commit()


def _record_results(
    session: Session, deliveries: dict[int, Delivery], results: Sequence[_Result], now: datetime
) -> None:
    """Store each result on its delivery, with a timeline entry on its incident.

    A failure that will be retried gets no timeline entry; its next attempt will.
    """
    if not results:
        return
    user_ids = {
        d.user_id
        for r in results
        if (d := deliveries.get(r.delivery_id)) is not None and d.user_id is not None
    }
    users = _by_id(session, User, user_ids)
    for result in results:
        delivery = deliveries.get(result.delivery_id)
        if delivery is None:  # deleted with its incident since it was claimed
            continue
        delivery.status, delivery.updated_at = result.status, now
        delivery.last_error = result.error
        if result.status == DeliveryStatus.SENT:
            delivery.sent_at, delivery.provider_id = now, result.provider_id
        if delivery.incident_id is None or result.status == DeliveryStatus.FAILED:
            continue
        who = delivery.address
        if delivery.user_id is not None:
            user = users.get(delivery.user_id)
            who = f"{user.name if user else delivery.user_id} by {delivery.kind}"
        summary = (
            f"notified {who}"
            if result.status == DeliveryStatus.SENT
            else f"could not notify {who}: {result.error}"
        )
        timeline(
            session,
            incident_id=delivery.incident_id,
            now=now,
            actor="notifications",
            kind=TimelineKind.NOTIFICATION_SENT,
            summary=summary,
            data={"delivery_id": delivery.id, "kind": delivery.kind, "status": result.status.value},
        )


def _delivery_id(job: ClaimedJob) -> int | None:
    """The delivery a job names, or None when its payload names none a row could have."""
    try:
        delivery_id = int(job.payload["delivery_id"])
    except (KeyError, TypeError, ValueError):
        return None
    return delivery_id if 0 < delivery_id < 2**63 else None


def _locked(session: Session, ids: Iterable[int]) -> dict[int, Delivery]:
    """The deliveries with these ids, locked in id order (one statement)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(Delivery)
        .where(col(Delivery.id).in_(wanted))
        .order_by(col(Delivery.id))
        .with_for_update()
    )
    return {d.id: d for d in rows if d.id is not None}


def _by_id(session: Session, model: type[RowT], ids: Collection[object]) -> dict[Any, RowT]:
    """Rows of `model` by their `id` (one statement; none for no ids)."""
    if not ids:
        return {}
    rows = session.scalars(select(model).where(col(model.id).in_(list(ids))))
    return {row.id: row for row in rows}
