"""Sending deliveries: the handler of the `notification.deliver` job.

The delivery row is read and marked under a short transaction; the network call
happens outside any transaction; the outcome is recorded in another one, with a
timeline entry on the incident. Failures the provider may recover from are
retried by the job queue with backoff; those it never will (a bad address,
refused credentials, an unconfigured channel) give up at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlmodel import Session, col

from connectors.notify.errors import RateLimited
from connectors.notify.models import (
    EmailTarget,
    Event,
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
from core.jobs.models import ClaimedJob
from core.jobs.worker import PermanentJobError
from core.logs import get_logger
from incidents.audit import timeline
from incidents.models.incident import Incident, TimelineKind
from incidents.models.notification import ChannelKind, Delivery, DeliveryStatus, NotificationChannel
from incidents.models.people import User
from incidents.notifications.outbox import still_needed

log = get_logger(__name__)
Target = SlackTarget | EmailTarget | SmsTarget | PagerDutyTarget | WebhookTarget


@dataclass(frozen=True)
class Notifiers:
    """The configured channels; None where a channel is not configured."""

    slack: Notifier[SlackTarget] | None = None
    email: Notifier[EmailTarget] | None = None
    sms: Notifier[SmsTarget] | None = None
    pagerduty: Notifier[PagerDutyTarget] | None = None
    webhook: Notifier[WebhookTarget] | None = None


class DeliverySender:
    """Sends one delivery per job."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        notifiers: Notifiers,
        box: SecretBox,
        public_url: str,
    ) -> None:
        """Send through `notifiers`; `box` opens channel secrets; links start at `public_url`."""
        self._sessions, self._clock, self._notifiers, self._box = sessions, clock, notifiers, box
        self._public_url = public_url.rstrip("/")

    def handle(self, job: ClaimedJob) -> None:
        """Send the delivery named by the job (a no-op when it is no longer pending)."""
        delivery_id = int(job.payload["delivery_id"])
        prepared = self._prepare(delivery_id)
        if prepared is None:
            return
        kind, target, message = prepared
        try:
            receipt = self._send(kind, target, message)
        except (InvalidRequest, Forbidden, ConfigError) as e:
            self._record(delivery_id, DeliveryStatus.GAVE_UP, error=e.message)
            raise PermanentJobError(f"delivery {delivery_id}: {e.message}") from e
        except Unavailable as e:
            last = job.attempt >= job.max_attempts
            self._record(
                delivery_id,
                DeliveryStatus.GAVE_UP if last else DeliveryStatus.FAILED,
                error=e.message,
            )
            if isinstance(e, RateLimited):
                log.info(
                    "notification.rate_limited",
                    delivery_id=delivery_id,
                    retry_after_s=e.retry_after_s,
                )
            raise
        self._record(delivery_id, DeliveryStatus.SENT, provider_id=receipt.provider_id)

    def _prepare(self, delivery_id: int) -> tuple[str, Target, Message] | None:
        now = self._clock.now()
        with self._sessions() as session:
            delivery = session.get(Delivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.status not in (
                DeliveryStatus.PENDING,
                DeliveryStatus.FAILED,
            ):
                return None
            incident = session.get(Incident, delivery.incident_id) if delivery.incident_id else None
            if not still_needed(delivery, incident):
                delivery.status, delivery.updated_at = DeliveryStatus.CANCELLED, now
                session.commit()
                return None
            try:
                target = self._target(session, delivery)
            except (InvalidRequest, ConfigError) as e:
                _finish(session, delivery, DeliveryStatus.GAVE_UP, now, error=e.message)
                session.commit()
                raise PermanentJobError(f"delivery {delivery_id}: {e.message}") from e
            message = self._message(session, delivery, incident)
            delivery.attempts += 1
            delivery.updated_at = now
            session.commit()
            return delivery.kind, target, message

    def _send(self, kind: str, target: Target, message: Message) -> Any:
        notifier: Any = getattr(self._notifiers, kind, None)
        if notifier is None:
            raise ConfigError(f"{kind} notifications are not configured (see the notify settings)")
        return notifier.send(target, message)

    def _target(self, session: Session, delivery: Delivery) -> Target:
        secret = None
        if delivery.channel_id is not None:
            channel = session.get(NotificationChannel, delivery.channel_id)
            if channel is not None and channel.secret_sealed:
                secret = self._box.open(channel.secret_sealed)
        match delivery.kind:
            case ChannelKind.SLACK:
                return SlackTarget(channel=delivery.address)
            case ChannelKind.EMAIL:
                return EmailTarget(address=delivery.address)
            case ChannelKind.SMS:
                return SmsTarget(number=delivery.address)
            case ChannelKind.PAGERDUTY if secret:
                return PagerDutyTarget(routing_key=secret)
            case ChannelKind.WEBHOOK if secret:
                return WebhookTarget(url=delivery.address, secret=secret)
        raise InvalidRequest(f"{delivery.kind} delivery {delivery.id} has no usable target")

    def _message(self, session: Session, delivery: Delivery, incident: Incident | None) -> Message:
        if delivery.event == "summary":
            return self._summary(session, delivery)
        assert incident is not None and incident.id is not None
        return Message(
            incident_id=incident.id,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            summary=delivery.reason,
            url=f"{self._public_url}/api/v1/incidents/{incident.id}",
            event=cast(Event, delivery.event),
            idempotency_key=delivery.idempotency_key,
            fields={"alerts": str(incident.alert_count), "service": incident.service or ""},
        )

    def _summary(self, session: Session, delivery: Delivery) -> Message:
        start = datetime.fromisoformat(delivery.message["window_start"])
        end = datetime.fromisoformat(delivery.message["window_end"])
        held = list(
            session.scalars(
                select(Delivery).where(
                    col(Delivery.user_id) == delivery.user_id,
                    col(Delivery.kind) == delivery.kind,
                    col(Delivery.status) == DeliveryStatus.COALESCED,
                    col(Delivery.created_at) >= start,
                    col(Delivery.created_at) < end,
                )
            )
        )
        ids = sorted({d.incident_id for d in held if d.incident_id is not None})
        listed = ", ".join(f"#{i}" for i in ids[:20]) + (" ..." if len(ids) > 20 else "")
        return Message(
            incident_id=ids[-1] if ids else 0,
            title=f"{len(held)} more pages held back by the rate limit",
            severity="critical",
            status="triggered",
            event="summary",
            summary=f"Incidents {listed} paged you between {start:%H:%M} and {end:%H:%M} UTC.",
            url=f"{self._public_url}/api/v1/incidents?status=triggered",
            idempotency_key=delivery.idempotency_key,
        )

    def _record(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        *,
        error: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        now = self._clock.now()
        with self._sessions() as session:
            delivery = session.get(Delivery, delivery_id, with_for_update=True)
            assert delivery is not None
            _finish(session, delivery, status, now, error=error, provider_id=provider_id)
            session.commit()


def _finish(
    session: Session,
    delivery: Delivery,
    status: DeliveryStatus,
    now: datetime,
    *,
    error: str | None = None,
    provider_id: str | None = None,
) -> None:
    delivery.status, delivery.updated_at, delivery.last_error = status, now, error
    if status == DeliveryStatus.SENT:
        delivery.sent_at, delivery.provider_id = now, provider_id
    if delivery.incident_id is None or status == DeliveryStatus.FAILED:
        return
    who = delivery.address
    if delivery.user_id is not None:
        user = session.get(User, delivery.user_id)
        who = f"{user.name if user else delivery.user_id} by {delivery.kind}"
    summary = (
        f"notified {who}" if status == DeliveryStatus.SENT else f"could not notify {who}: {error}"
    )
    timeline(
        session,
        incident_id=delivery.incident_id,
        now=now,
        actor="notifications",
        kind=TimelineKind.NOTIFICATION_SENT,
        summary=summary,
        data={"delivery_id": delivery.id, "kind": delivery.kind, "status": status.value},
    )
