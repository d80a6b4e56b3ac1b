"""Notification channels, people's contact methods and notification rules."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from sqlalchemy import select
from sqlmodel import Session, col

from core.crypto import SecretBox
from core.errors import Conflict, NotFound
from incidents.audit import audit
from incidents.models.notification import (
    ChannelKind,
    ContactMethod,
    Delivery,
    NotificationChannel,
    NotificationRule,
)
from incidents.people import get_user

_ADDRESS = {
    ChannelKind.EMAIL: (re.compile(r"^[^@\s]+@[^@\s]+$"), "an e-mail address"),
    ChannelKind.SMS: (re.compile(r"^\+[1-9]\d{6,14}$"), "an E.164 phone number like +15551234567"),
    ChannelKind.SLACK: (re.compile(r"^\S{1,100}$"), "a Slack channel or user id"),
    ChannelKind.WEBHOOK: (re.compile(r"^https?://\S+$"), "an http(s) URL"),
    ChannelKind.PAGERDUTY: (re.compile(r"^\S{1,200}$"), "a PagerDuty service name"),
}


def _check_address(kind: ChannelKind, address: str) -> None:
    pattern, what = _ADDRESS[kind]
    if not pattern.match(address):
        raise ValueError(f"address of a {kind.value} destination must be {what}")


class ChannelCreate(BaseModel):
    """A shared channel; `secret`: the webhook signing secret or the PagerDuty routing key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    address: str
    secret: SecretStr | None = None

    @model_validator(mode="after")
    def _valid(self) -> ChannelCreate:
        _check_address(self.kind, self.address)
        if self.kind in (ChannelKind.WEBHOOK, ChannelKind.PAGERDUTY) and not self.secret:
            raise ValueError(
                f"a {self.kind.value} channel needs a secret (signing secret or routing key)"
            )
        return self


class ContactCreate(BaseModel):
    """A way to reach a person."""

    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind
    address: str

    @model_validator(mode="after")
    def _valid(self) -> ContactCreate:
        if self.kind in (ChannelKind.WEBHOOK, ChannelKind.PAGERDUTY):
            raise ValueError(
                "people are reached by email, sms or slack; webhooks and PagerDuty are channels"
            )
        _check_address(self.kind, self.address)
        return self


class RuleCreate(BaseModel):
    """Use this contact method this many minutes after being paged."""

    model_config = ConfigDict(extra="forbid")

    contact_method_id: uuid.UUID
    delay_minutes: int = Field(0, ge=0, le=24 * 60)


def create_channel(
    session: Session, spec: ChannelCreate, box: SecretBox, *, now: datetime, actor: str
) -> NotificationChannel:
    """Create a channel; its secret is stored encrypted and never shown again."""
    if session.scalars(
        select(NotificationChannel).where(col(NotificationChannel.name) == spec.name)
    ).first():
        raise Conflict(f"a notification channel named {spec.name!r} already exists")
    channel = NotificationChannel(
        name=spec.name,
        kind=spec.kind.value,
        address=spec.address,
        created_at=now,
        secret_sealed=box.seal(spec.secret.get_secret_value()) if spec.secret else None,
    )
    session.add(channel)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="channel.create",
        target_type="notification_channel",
        target_id=channel.id,
        after={"name": spec.name, "kind": spec.kind.value, "address": spec.address},
    )
    return channel


def list_channels(session: Session) -> list[NotificationChannel]:
    """Every channel, by name."""
    return list(
        session.scalars(select(NotificationChannel).order_by(col(NotificationChannel.name)))
    )


def add_contact(
    session: Session, user_id: uuid.UUID, spec: ContactCreate, *, now: datetime, actor: str
) -> ContactMethod:
    """Add a contact method to a person."""
    get_user(session, user_id)
    contact = ContactMethod(
        user_id=user_id, kind=spec.kind.value, address=spec.address, created_at=now
    )
    session.add(contact)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="user.contact_method",
        target_type="user",
        target_id=user_id,
        after={"kind": spec.kind.value, "address": spec.address},
    )
    return contact


def add_rule(
    session: Session, user_id: uuid.UUID, spec: RuleCreate, *, now: datetime, actor: str
) -> NotificationRule:
    """Add a notification rule to a person."""
    contact = session.get(ContactMethod, spec.contact_method_id)
    if contact is None or contact.user_id != user_id:
        raise NotFound(f"user {user_id} has no contact method {spec.contact_method_id}")
    rule = NotificationRule(
        user_id=user_id, contact_method_id=contact.id, delay_minutes=spec.delay_minutes
    )
    session.add(rule)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="user.notification_rule",
        target_type="user",
        target_id=user_id,
        after={"contact_method_id": str(contact.id), "delay_minutes": spec.delay_minutes},
    )
    return rule


def contacts_of(
    session: Session, user_id: uuid.UUID
) -> tuple[list[ContactMethod], list[NotificationRule]]:
    """A person's contact methods and rules."""
    get_user(session, user_id)
    contacts = list(
        session.scalars(select(ContactMethod).where(col(ContactMethod.user_id) == user_id))
    )
    rules = list(
        session.scalars(
            select(NotificationRule)
            .where(col(NotificationRule.user_id) == user_id)
            .order_by(col(NotificationRule.delay_minutes))
        )
    )
    return contacts, rules


def deliveries_of(session: Session, incident_id: int) -> list[Delivery]:
    """An incident's deliveries, oldest first."""
    return list(
        session.scalars(
            select(Delivery)
            .where(col(Delivery.incident_id) == incident_id)
            .order_by(col(Delivery.id))
        )
    )
