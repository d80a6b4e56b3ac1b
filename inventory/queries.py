"""Reading the inventory: clusters, and objects by filter with keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, or_, select, tuple_
from sqlmodel import Session, col

from core.errors import InvalidRequest
from inventory.health import Health
from inventory.models import InventoryCluster, InventoryObject, ObjectKind


class ObjectFilter(BaseModel):
    """Which inventory objects to list; every given field must match."""

    model_config = ConfigDict(extra="forbid")

    cluster: str | None = None
    kind: list[ObjectKind] = Field(default_factory=list)
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    """Every label must have this value."""
    status: list[str] = Field(default_factory=list)
    """Any of these statuses; a status matches the whole string or one of its comma-separated
    parts (`NotReady` matches `NotReady,SchedulingDisabled`)."""
    health: list[Health] = Field(default_factory=list)
    """Any of these healths (`inventory/health.py`)."""
    node: str | None = None
    name: str | None = Field(None, max_length=253)
    """A case-insensitive substring of the name."""
    include_gone: bool = False


class ObjectPage(BaseModel):
    """One page of objects and the cursor of the next one (None at the end)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    items: list[InventoryObject]
    next_cursor: str | None


_Key = tuple[str, str, str, str]


def _encode_cursor(key: _Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> _Key:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cluster, kind, namespace, name = json.loads(base64.urlsafe_b64decode(padded))
        if not all(isinstance(v, str) for v in (cluster, kind, namespace, name)):
            raise TypeError("cursor fields are strings")
        return cluster, kind, namespace, name
    except (ValueError, TypeError, binascii.Error) as e:
        raise InvalidRequest("cursor: not a cursor returned by this listing") from e


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _status_condition(statuses: list[str]) -> ColumnElement[bool]:
    column = col(InventoryObject.status)
    matches: list[ColumnElement[bool]] = []
    for status in statuses:
        part = _escape(status)
        matches += [
            column == status,
            column.like(f"{part},%", escape="\\"),
            column.like(f"%,{part}", escape="\\"),
            column.like(f"%,{part},%", escape="\\"),
        ]
    return or_(*matches)


def object_conditions(f: ObjectFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for an object filter."""
    conditions: list[ColumnElement[bool]] = []
    if not f.include_gone:
        conditions.append(col(InventoryObject.gone_at).is_(None))
    if f.cluster is not None:
        conditions.append(col(InventoryObject.cluster) == f.cluster)
    if f.kind:
        conditions.append(col(InventoryObject.kind).in_([k.value for k in f.kind]))
    if f.namespace is not None:
        conditions.append(col(InventoryObject.namespace) == f.namespace)
    if f.node is not None:
        conditions.append(col(InventoryObject.node) == f.node)
    if f.status:
        conditions.append(_status_condition(f.status))
    if f.health:
        conditions.append(col(InventoryObject.health).in_([h.value for h in f.health]))
    if f.name:
        conditions.append(col(InventoryObject.name).ilike(f"%{_escape(f.name)}%", escape="\\"))
    labels: Any = col(InventoryObject.labels)
    conditions += [labels[key].as_string() == value for key, value in f.labels.items()]
    return conditions


def list_objects(
    session: Session, f: ObjectFilter, *, cursor: str | None = None, limit: int = 100
) -> ObjectPage:
    """A page of objects matching `f`, by cluster, kind, namespace and name."""
    key = (
        col(InventoryObject.cluster),
        col(InventoryObject.kind),
        col(InventoryObject.namespace),
        col(InventoryObject.name),
    )
    stmt = select(InventoryObject).where(*object_conditions(f))
    if cursor:
        stmt = stmt.where(tuple_(*key) > tuple_(*_decode_cursor(cursor)))
    rows = list(session.scalars(stmt.order_by(*key).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor((last.cluster, last.kind, last.namespace, last.name))
    return ObjectPage(items=rows, next_cursor=next_cursor)


def list_clusters(session: Session) -> list[InventoryCluster]:
    """Every cluster the inventory has tried to sync, by name."""
    return list(session.scalars(select(InventoryCluster).order_by(col(InventoryCluster.name))))
