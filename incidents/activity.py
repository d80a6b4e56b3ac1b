"""Reads for live views: what changed since a point, and how many alerts came in over time.

The live feed (`/api/v1/events`) follows two cursors: alerts by `last_seen` (indexed; every
new, repeated, updated or resolved alert moves it) and timeline entries by id (every change to
an incident writes one). The alert volume counts new alerts per time bucket and severity.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from core.errors import InvalidRequest
from incidents.models.alert import Alert
from incidents.models.incident import TimelineEntry

MAX_BUCKETS = 2000


def alerts_seen_since(session: Session, since: datetime, *, limit: int = 500) -> list[Alert]:
    """Alerts last seen at or after `since`, oldest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(col(Alert.last_seen) >= since)
            .order_by(col(Alert.last_seen), col(Alert.id))
            .limit(limit)
        )
    )


def timeline_after(session: Session, after_id: int, *, limit: int = 500) -> list[TimelineEntry]:
    """Timeline entries (of every incident) with an id above `after_id`, in id order."""
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(col(TimelineEntry.id) > after_id)
            .order_by(col(TimelineEntry.id))
            .limit(limit)
        )
    )


def last_timeline_id(session: Session) -> int:
    """The highest timeline entry id (0 when there is none)."""
    return int(session.scalar(select(func.max(col(TimelineEntry.id)))) or 0)


class VolumeBucket(BaseModel):
    """New alerts in `[start, start + step)`, per severity."""

    start: datetime
    counts: dict[str, int]


def alert_volume(
    session: Session, *, start: datetime, end: datetime, step: timedelta
) -> list[VolumeBucket]:
    """New alerts (by `first_seen`) per bucket of `step` from `start` to `end`, per severity.

    Every bucket is returned, empty ones too, so a chart needs no filling in.
    """
    if step <= timedelta(0) or end <= start:
        raise InvalidRequest("the volume needs end after start and a positive step")
    count = int((end - start) / step) + (1 if (end - start) % step else 0)
    if count > MAX_BUCKETS:
        raise InvalidRequest(f"at most {MAX_BUCKETS} buckets: widen the step or shorten the range")
    buckets = [VolumeBucket(start=start + i * step, counts={}) for i in range(count)]
    rows = session.execute(
        select(col(Alert.first_seen), col(Alert.severity)).where(
            # last_seen >= first_seen, so its index narrows the scan to the range
            col(Alert.last_seen) >= start,
            col(Alert.first_seen) >= start,
            col(Alert.first_seen) < end,
        )
    ).all()
    for first_seen, severity in rows:
        counts = buckets[int((first_seen - start) / step)].counts
        counts[severity] = counts.get(severity, 0) + 1
    return buckets
