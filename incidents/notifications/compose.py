"""What a delivery sends: its provider target and its message, built from the outbox row."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from connectors.notify.models import (
    EmailTarget,
    Event,
    Message,
    PagerDutyTarget,
    SlackTarget,
    SmsTarget,
    WebhookTarget,
)
from core.crypto import SecretBox
from core.errors import InvalidRequest
from incidents.models.incident import Incident
from incidents.models.notification import ChannelKind, Delivery, DeliveryStatus, NotificationChannel

Target = SlackTarget | EmailTarget | SmsTarget | PagerDutyTarget | WebhookTarget


def target_of(delivery: Delivery, channel: NotificationChannel | None, box: SecretBox) -> Target:
    """Where `delivery` goes; `channel` is its channel row (None for a person's page).

    Raises:
        InvalidRequest: the delivery can never be sent (a webhook or PagerDuty
            channel without its secret, or one deleted since).
    """
    secret = None
    if channel is not None and channel.secret_sealed:
        secret = box.open(channel.secret_sealed)
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


def message_of(
    session: Session, delivery: Delivery, incident: Incident | None, public_url: str
) -> Message:
    """The message of `delivery`: about its incident, or a rate-limit summary."""
    if delivery.event == "summary":
        return _summary(session, delivery, public_url)
    assert incident is not None and incident.id is not None
    return Message(
        incident_id=incident.id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        summary=delivery.reason,
        url=f"{public_url}/api/v1/incidents/{incident.id}",
        event=cast(Event, delivery.event),
        idempotency_key=delivery.idempotency_key,
        fields={"alerts": str(incident.alert_count), "service": incident.service or ""},
    )


def _summary(session: Session, delivery: Delivery, public_url: str) -> Message:
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
        url=f"{public_url}/api/v1/incidents?status=triggered",
        idempotency_key=delivery.idempotency_key,
    )
