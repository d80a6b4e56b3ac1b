"""The outbox: every page becomes delivery rows, sent later by the delivery job.

Rows are written in the transaction of the escalation step that decided them,
each with a unique idempotency key, so a step re-run after a crash cannot page
twice: a row (and its job) is inserted with ON CONFLICT DO NOTHING, and one whose
key is taken already is skipped. A per-person rate limit turns a storm into one
summary per window.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from core.db.bulk import column_values, insert_skipping_conflicts
from core.jobs.queue import enqueue
from incidents.models.incident import Incident, IncidentStatus
from incidents.models.notification import (
    ChannelKind,
    ContactMethod,
    Delivery,
    DeliveryStatus,
    NotificationChannel,
    NotificationRule,
)
from incidents.models.people import User

DELIVER_JOB = "notification.deliver"


@dataclass(frozen=True)
class RateLimit:
    """At most `count` pages per person and channel kind in each `window_s` window."""

    count: int = 5
    window_s: int = 60


@dataclass(frozen=True)
class Route:
    """Where one delivery goes."""

    kind: str
    address: str
    delay_minutes: int = 0
    key: str = ""


def personal_routes(session: Session, user_id: uuid.UUID) -> list[Route]:
    """A person's notification rules, in order; e-mail at once when they have none."""
    rows = session.execute(
        select(ContactMethod, col(NotificationRule.delay_minutes))
        .join(NotificationRule, col(NotificationRule.contact_method_id) == col(ContactMethod.id))
        .where(col(NotificationRule.user_id) == user_id)
        .order_by(col(NotificationRule.delay_minutes), col(ContactMethod.kind))
    ).all()
    if rows:
        return [Route(c.kind, c.address, delay, f"{c.id}:{delay}") for c, delay in rows]
    user = session.get(User, user_id)
    if user is None or not user.active:
        return []
    return [Route(ChannelKind.EMAIL, user.email, 0, "default-email")]


def page_user(
    session: Session,
    *,
    incident: Incident,
    user_id: uuid.UUID,
    reason: str,
    key: str,
    now: datetime,
    limit: RateLimit,
) -> list[Delivery]:
    """Queue a person's deliveries for an incident, following their notification rules."""
    deliveries = []
    for route in personal_routes(session, user_id):
        delivery = _add(
            session,
            Delivery(
                idempotency_key=f"{key}:{user_id}:{route.key}",
                incident_id=incident.id,
                user_id=user_id,
                kind=route.kind,
                address=route.address,
                event="trigger",
                reason=reason,
                status=DeliveryStatus.PENDING,
                send_after=now + timedelta(minutes=route.delay_minutes),
                created_at=now,
                updated_at=now,
            ),
            now=now,
            limit=limit,
        )
        if delivery is not None:
            deliveries.append(delivery)
    return deliveries


def post_channel(
    session: Session,
    *,
    incident: Incident,
    channel: NotificationChannel,
    event: str,
    key: str,
    now: datetime,
) -> Delivery | None:
    """Queue a post to a shared channel (never rate limited: channels are for everyone)."""
    delivery = Delivery(
        idempotency_key=f"{key}:{channel.id}",
        incident_id=incident.id,
        channel_id=channel.id,
        kind=channel.kind,
        address=channel.address,
        event=event,
        reason=f"channel {channel.name}",
        status=DeliveryStatus.PENDING,
        send_after=now,
        created_at=now,
        updated_at=now,
    )
    return _add(session, delivery, now=now, limit=None)


def update_channels(
    session: Session, incident: Incident, event: str, now: datetime
) -> list[Delivery]:
    """Tell every channel that got the incident's trigger that it was acknowledged or resolved.

    PagerDuty closes its alert, a webhook receiver and a Slack channel see the change.
    """
    channel_ids = set(
        session.scalars(
            select(col(Delivery.channel_id)).where(
                col(Delivery.incident_id) == incident.id,
                col(Delivery.event) == "trigger",
                col(Delivery.channel_id).is_not(None),
                col(Delivery.status).in_(
                    [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED]
                ),
            )
        )
    )
    queued = []
    for channel_id in sorted(channel_ids, key=str):
        channel = session.get(NotificationChannel, channel_id)
        if channel is None:
            continue
        key = f"{event}:{incident.id}:{now.timestamp():.6f}"
        delivery = post_channel(
            session, incident=incident, channel=channel, event=event, key=key, now=now
        )
        if delivery is not None:
            queued.append(delivery)
    return queued


def cancel_pending_pages(session: Session, incident_id: int, now: datetime) -> int:
    """Cancel pages not yet sent for an incident that no longer needs them."""
    result = session.execute(
        update(Delivery)
        .where(
            col(Delivery.incident_id) == incident_id,
            col(Delivery.event) == "trigger",
            col(Delivery.user_id).is_not(None),
            col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
        )
        .values(status=DeliveryStatus.CANCELLED, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def still_needed(delivery: Delivery, incident: Incident | None) -> bool:
    """A page to a person is moot once the incident is acknowledged or resolved."""
    if delivery.event != "trigger" or delivery.user_id is None or incident is None:
        return True
    return incident.status == IncidentStatus.TRIGGERED


def _add(
    session: Session, delivery: Delivery, *, now: datetime, limit: RateLimit | None
) -> Delivery | None:
    if (
        limit is not None
        and delivery.user_id is not None
        and _over_limit(session, delivery, now, limit)
    ):
        delivery.status = DeliveryStatus.COALESCED
        _ensure_summary(session, delivery, now, limit)
    inserted = insert_skipping_conflicts(session, Delivery, [column_values(delivery)])
    if not inserted:
        return None  # this step already queued it (a re-run after a crash)
    [stored] = inserted
    if stored.status == DeliveryStatus.PENDING:
        enqueue(
            session,
            kind=DELIVER_JOB,
            now=now,
            run_at=stored.send_after,
            payload={"delivery_id": stored.id},
            dedup_key=f"delivery:{stored.id}",
            max_attempts=8,
        )
    return stored


def _over_limit(session: Session, delivery: Delivery, now: datetime, limit: RateLimit) -> bool:
    recent = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            col(Delivery.user_id) == delivery.user_id,
            col(Delivery.kind) == delivery.kind,
            col(Delivery.event) == "trigger",
            col(Delivery.status) != DeliveryStatus.COALESCED,
            col(Delivery.created_at) > now - timedelta(seconds=limit.window_s),
        )
    )
    return int(recent or 0) >= limit.count


def _ensure_summary(session: Session, held: Delivery, now: datetime, limit: RateLimit) -> None:
    bucket = math.floor(now.timestamp() / limit.window_s)
    window_end = datetime.fromtimestamp((bucket + 1) * limit.window_s, tz=UTC)
    summary = Delivery(
        idempotency_key=f"summary:{held.user_id}:{held.kind}:{bucket}",
        user_id=held.user_id,
        kind=held.kind,
        address=held.address,
        event="summary",
        reason="rate limit summary",
        message={
            "window_start": (window_end - timedelta(seconds=limit.window_s)).isoformat(),
            "window_end": window_end.isoformat(),
        },
        status=DeliveryStatus.PENDING,
        send_after=window_end,
        created_at=now,
        updated_at=now,
    )
    _add(session, summary, now=now, limit=None)
