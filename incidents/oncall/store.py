"""Schedules as stored: manage them, and load the engine's `Schedule` for a time range."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, InvalidRequest, NotFound
from incidents.audit import audit
from incidents.models.people import User
from incidents.models.schedule import ScheduleOverride, ScheduleRow, TimeOff
from incidents.oncall.engine import on_call
from incidents.oncall.model import Layer, Override, Schedule, Unavailability


class ScheduleCreate(BaseModel):
    """A new schedule: a timezone and its layers (later layers override earlier ones)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    timezone: str
    layers: list[Layer] = Field(default_factory=list)
    team_id: uuid.UUID | None = None


class SpanCreate(BaseModel):
    """A user and a time span (an override, or time off)."""

    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    start: datetime
    end: datetime
    reason: str = ""


def _participants(layers: list[Layer]) -> set[str]:
    return {p for layer in layers for p in layer.participants}


def _check_users(session: Session, users: set[str]) -> None:
    missing = []
    for user in sorted(users):
        try:
            found = session.get(User, uuid.UUID(user))
        except ValueError:
            found = None
        if found is None:
            missing.append(user)
    if missing:
        raise InvalidRequest(f"unknown users in the schedule: {', '.join(missing)}")


def create_schedule(
    session: Session, spec: ScheduleCreate, *, now: datetime, actor: str
) -> ScheduleRow:
    """Create a schedule (validated by building the engine's model)."""
    if session.scalars(select(ScheduleRow).where(col(ScheduleRow.name) == spec.name)).first():
        raise Conflict(f"a schedule named {spec.name!r} already exists")
    Schedule(name=spec.name, timezone=spec.timezone, layers=spec.layers)
    _check_users(session, _participants(spec.layers))
    row = ScheduleRow(
        name=spec.name,
        timezone=spec.timezone,
        team_id=spec.team_id,
        layers=[layer.model_dump(mode="json") for layer in spec.layers],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="schedule.create",
        target_type="schedule",
        target_id=row.id,
        after=row.model_dump(mode="json"),
    )
    return row


def replace_layers(
    session: Session, schedule_id: uuid.UUID, layers: list[Layer], *, now: datetime, actor: str
) -> ScheduleRow:
    """Replace a schedule's layers."""
    row = get_schedule(session, schedule_id)
    Schedule(name=row.name, timezone=row.timezone, layers=layers)
    _check_users(session, _participants(layers))
    before = row.model_dump(mode="json")
    row.layers = [layer.model_dump(mode="json") for layer in layers]
    row.updated_at = now
    audit(
        session,
        now=now,
        actor=actor,
        action="schedule.update",
        target_type="schedule",
        target_id=row.id,
        before=before,
        after=row.model_dump(mode="json"),
    )
    return row


def add_override(
    session: Session, schedule_id: uuid.UUID, span: SpanCreate, *, now: datetime, actor: str
) -> ScheduleOverride:
    """Let a user cover the schedule for a span."""
    get_schedule(session, schedule_id)
    _check_span(span)
    _check_users(session, {str(span.user_id)})
    row = ScheduleOverride(
        schedule_id=schedule_id,
        user_id=span.user_id,
        start=span.start,
        end=span.end,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="schedule.override",
        target_type="schedule",
        target_id=schedule_id,
        after=row.model_dump(mode="json"),
    )
    return row


def add_time_off(session: Session, span: SpanCreate, *, now: datetime, actor: str) -> TimeOff:
    """Record a person's time off: every schedule skips them during it."""
    _check_span(span)
    _check_users(session, {str(span.user_id)})
    row = TimeOff(
        user_id=span.user_id, start=span.start, end=span.end, reason=span.reason, created_at=now
    )
    session.add(row)
    session.flush()
    audit(
        session,
        now=now,
        actor=actor,
        action="user.time_off",
        target_type="user",
        target_id=span.user_id,
        after=row.model_dump(mode="json"),
    )
    return row


def _check_span(span: SpanCreate) -> None:
    if span.start.tzinfo is None or span.end.tzinfo is None:
        raise InvalidRequest("start and end need a timezone (e.g. 2026-11-22T10:00:00Z)")
    if span.end <= span.start:
        raise InvalidRequest("end must be after start")


def get_schedule(session: Session, schedule_id: uuid.UUID) -> ScheduleRow:
    """The schedule row, or NotFound."""
    row = session.get(ScheduleRow, schedule_id)
    if row is None:
        raise NotFound(f"schedule {schedule_id} does not exist")
    return row


def list_schedules(session: Session) -> list[ScheduleRow]:
    """Every schedule, by name."""
    return list(session.scalars(select(ScheduleRow).order_by(col(ScheduleRow.name))))


def load(session: Session, schedule_id: uuid.UUID, start: datetime, end: datetime) -> Schedule:
    """The engine's view of a schedule, with the overrides and time off overlapping [start, end)."""
    row = get_schedule(session, schedule_id)
    layers = [Layer.model_validate(layer) for layer in row.layers]
    overrides = session.scalars(
        select(ScheduleOverride).where(
            col(ScheduleOverride.schedule_id) == schedule_id,
            col(ScheduleOverride.start) < end,
            col(ScheduleOverride.end) > start,
        )
    )
    people = [uuid.UUID(p) for p in _participants(layers)]
    time_off: list[TimeOff] = []
    if people:
        time_off = list(
            session.scalars(
                select(TimeOff).where(
                    col(TimeOff.user_id).in_(people),
                    col(TimeOff.start) < end,
                    col(TimeOff.end) > start,
                )
            )
        )
    return Schedule(
        name=row.name,
        timezone=row.timezone,
        layers=layers,
        overrides=[Override(user=str(o.user_id), start=o.start, end=o.end) for o in overrides],
        unavailability=[
            Unavailability(user=str(t.user_id), start=t.start, end=t.end) for t in time_off
        ],
    )


def who_is_on_call(session: Session, schedule_id: uuid.UUID, at: datetime) -> tuple[uuid.UUID, ...]:
    """Who is on call on the schedule at `at` (empty: nobody)."""
    schedule = load(session, schedule_id, at, at)
    return tuple(uuid.UUID(user) for user in on_call(schedule, at))
