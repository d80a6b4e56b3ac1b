"""Reading incidents and alerts: filters, full-text search, cursor pagination, counts."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import cast
from sqlmodel import Session, col

from core.errors import InvalidRequest, NotFound
from incidents.models.alert import Alert
from incidents.models.incident import Incident, TimelineEntry

RowT = TypeVar("RowT", Incident, Alert)


class SortOrder(StrEnum):
    """Orders a listing can be read in (all stable: ties broken by id)."""

    NEWEST = "newest"
    OLDEST = "oldest"
    RECENTLY_UPDATED = "recently_updated"


class IncidentFilter(BaseModel):
    """Which incidents to list; every given field must match."""

    model_config = ConfigDict(extra="forbid")

    status: list[str] = Field(default_factory=list)
    severity: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    service: str | None = None
    team_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    integration_id: uuid.UUID | None = None
    tag: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = Field(
        None, max_length=200, description="Words that must all appear in the title."
    )


class AlertFilter(BaseModel):
    """Which alerts to list; every given field must match."""

    model_config = ConfigDict(extra="forbid")

    status: list[str] = Field(default_factory=list)
    severity: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    integration_id: uuid.UUID | None = None
    incident_id: int | None = None
    fingerprint: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = Field(None, max_length=200)


class Page(BaseModel, Generic[RowT]):
    """One page of a listing and the cursor of the next one (None at the end)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    items: list[RowT]
    next_cursor: str | None


def _encode_cursor(value: datetime, row_id: int) -> str:
    raw = json.dumps([value.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(value), int(row_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as e:
        raise InvalidRequest("cursor: not a cursor returned by this listing") from e


def _words(column: Any, q: str | None) -> list[ColumnElement[bool]]:
    # Case-insensitive substring match per word; PostgreSQL ILIKE, SQLite LIKE (ASCII).
    return [column.ilike(f"%{_escape(word)}%", escape="\\") for word in (q or "").split()]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _label_conditions(column: Any, labels: dict[str, str]) -> list[ColumnElement[bool]]:
    return [column[key].as_string() == value for key, value in labels.items()]


def _tag_condition(session: Session, tag: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(col(Incident.tags), JSONB).contains([tag])
    each = func.json_each(col(Incident.tags)).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value == tag))


def incident_conditions(session: Session, f: IncidentFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for an incident filter."""
    conditions: list[ColumnElement[bool]] = []
    for column, values in (
        (Incident.status, f.status),
        (Incident.severity, f.severity),
        (Incident.source, f.source),
    ):
        if values:
            conditions.append(col(column).in_(values))
    for key_column, value in (
        (Incident.service, f.service),
        (Incident.team_id, f.team_id),
        (Incident.assignee_id, f.assignee_id),
        (Incident.integration_id, f.integration_id),
    ):
        if value is not None:
            conditions.append(col(key_column) == value)
    if f.tag:
        conditions.append(_tag_condition(session, f.tag.strip().lower()))
    if f.since:
        conditions.append(col(Incident.created_at) >= f.since)
    if f.until:
        conditions.append(col(Incident.created_at) < f.until)
    conditions += _label_conditions(col(Incident.labels), f.labels)
    conditions += _words(col(Incident.title), f.q)
    return conditions


def alert_conditions(f: AlertFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for an alert filter."""
    conditions: list[ColumnElement[bool]] = []
    for column, values in (
        (Alert.status, f.status),
        (Alert.severity, f.severity),
        (Alert.source, f.source),
    ):
        if values:
            conditions.append(col(column).in_(values))
    for key_column, value in (
        (Alert.integration_id, f.integration_id),
        (Alert.incident_id, f.incident_id),
        (Alert.fingerprint, f.fingerprint),
    ):
        if value is not None:
            conditions.append(col(key_column) == value)
    if f.since:
        conditions.append(col(Alert.last_seen) >= f.since)
    if f.until:
        conditions.append(col(Alert.last_seen) < f.until)
    conditions += _label_conditions(col(Alert.labels), f.labels)
    conditions += _words(col(Alert.summary), f.q)
    return conditions


def _page(
    session: Session,
    model: type[RowT],
    conditions: list[ColumnElement[bool]],
    *,
    time_attr: str,
    order: SortOrder,
    cursor: str | None,
    limit: int,
) -> Page[RowT]:
    time_column: Any = getattr(model, time_attr)
    id_column: Any = model.id
    descending = order != SortOrder.OLDEST
    stmt: Select[Any] = select(model).where(*conditions)
    if cursor:
        at, row_id = _decode_cursor(cursor)
        if descending:
            stmt = stmt.where(or_(time_column < at, and_(time_column == at, id_column < row_id)))
        else:
            stmt = stmt.where(or_(time_column > at, and_(time_column == at, id_column > row_id)))
    ordering = (
        (time_column.desc(), id_column.desc())
        if descending
        else (time_column.asc(), id_column.asc())
    )
    rows: list[RowT] = list(session.scalars(stmt.order_by(*ordering).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        assert last.id is not None
        next_cursor = _encode_cursor(getattr(last, time_attr), last.id)
    return Page[RowT](items=rows, next_cursor=next_cursor)


def list_incidents(
    session: Session,
    f: IncidentFilter,
    *,
    order: SortOrder = SortOrder.NEWEST,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Incident]:
    """A page of incidents matching the filter."""
    time_attr = "updated_at" if order == SortOrder.RECENTLY_UPDATED else "created_at"
    conditions = incident_conditions(session, f)
    return _page(
        session, Incident, conditions, time_attr=time_attr, order=order, cursor=cursor, limit=limit
    )


def list_alerts(
    session: Session,
    f: AlertFilter,
    *,
    order: SortOrder = SortOrder.NEWEST,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Alert]:
    """A page of alerts matching the filter (ordered by when they were last seen)."""
    return _page(
        session,
        Alert,
        alert_conditions(f),
        time_attr="last_seen",
        order=order,
        cursor=cursor,
        limit=limit,
    )


class GroupBy(StrEnum):
    """Fields incidents can be counted by."""

    STATUS = "status"
    SEVERITY = "severity"
    SOURCE = "source"
    SERVICE = "service"
    TEAM = "team_id"
    ASSIGNEE = "assignee_id"
    TAG = "tag"
    """Per tag; an incident with several tags counts once under each, untagged under `none`."""
    LABEL = "label"
    """Per value of the label named by `label_name`."""


def count_incidents(
    session: Session, f: IncidentFilter, by: GroupBy, *, label_name: str | None = None
) -> dict[str, int]:
    """How many incidents match the filter, per value of `by`."""
    conditions = incident_conditions(session, f)
    if by == GroupBy.TAG:
        return _count_tags(session, conditions)
    if by == GroupBy.LABEL:
        if not label_name:
            raise InvalidRequest("label_name: counting by label needs the label's name")
        column: Any = col(Incident.labels)[label_name].as_string()
    else:
        column = col(getattr(Incident, by.value))
    rows = session.execute(select(column, func.count()).where(*conditions).group_by(column)).all()
    return {("none" if value is None else str(value)): int(count) for value, count in rows}


def _count_tags(session: Session, conditions: list[ColumnElement[bool]]) -> dict[str, int]:
    postgres = session.get_bind().dialect.name == "postgresql"
    tags: Any = cast(col(Incident.tags), JSONB) if postgres else col(Incident.tags)
    each: Any = (
        func.jsonb_array_elements_text(tags) if postgres else func.json_each(tags)
    ).table_valued("value")
    length = func.jsonb_array_length(tags) if postgres else func.json_array_length(tags)
    tagged = (
        select(each.c.value, func.count()).select_from(Incident).join(each, literal_column("true"))
    )
    counts = {
        str(tag): int(n)
        for tag, n in session.execute(tagged.where(*conditions).group_by(each.c.value)).all()
    }
    untagged = session.scalar(
        select(func.count()).select_from(Incident).where(*conditions, length == 0)
    )
    if untagged:
        counts["none"] = int(untagged)
    return counts


def get_incident(session: Session, incident_id: int) -> Incident:
    """The incident, or NotFound."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return incident


def incident_timeline(session: Session, incident_id: int) -> list[TimelineEntry]:
    """The incident's timeline, oldest first."""
    get_incident(session, incident_id)
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(col(TimelineEntry.incident_id) == incident_id)
            .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
        )
    )
