"""Turn arithmetic: which turn of a rotation holds an instant, and where its turns hand off.

Turn k runs from `boundary(k)` to `boundary(k + 1)`; turn 0 starts at the layer's `start`.
Indexes are computed, never counted up from `start`, so a rotation that began years ago costs
the same as one that began today.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from incidents.oncall.localtime import local_date, local_instant
from incidents.oncall.model import Layer

_UNIT_DAYS = {"daily": 1, "weekly": 7}


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """A layer's turns, either elapsed (`step`) or in local calendar days (`days`)."""

    start: datetime
    """UTC; boundary 0."""
    tz: ZoneInfo
    step: timedelta | None
    """Elapsed length of a turn (hourly and custom turns); None for calendar turns."""
    days: int
    """Local calendar days per turn (daily and weekly turns); 0 for elapsed turns."""
    anchor: date
    """Local date the calendar grid counts from: handoff k is `days * k` days after it."""
    handoff: time
    """Local wall-clock time of calendar handoffs."""

    @classmethod
    def of(cls, layer: Layer, tz: ZoneInfo) -> Rotation:
        """The rotation of `layer`, read in the schedule's timezone `tz`."""
        local_start = layer.start.astimezone(tz)
        turn = layer.turn
        step: timedelta | None = None
        if turn.kind == "hourly":
            step = timedelta(hours=turn.count)
        elif turn.kind == "custom" and turn.seconds is not None:
            step = timedelta(seconds=turn.seconds)
        return cls(
            start=layer.start,
            tz=tz,
            step=step,
            days=0 if step is not None else _UNIT_DAYS[turn.kind] * turn.count,
            anchor=local_start.date(),
            handoff=layer.handoff_time or local_start.time().replace(fold=0),
        )

    def boundary(self, k: int) -> datetime:
        """Start of turn `k` (k >= 0), in UTC."""
        if k <= 0:
            return self.start
        if self.step is not None:
            return self.start + k * self.step
        return local_instant(self.anchor + timedelta(days=k * self.days), self.handoff, self.tz)

    def index_at(self, instant: datetime) -> int:
        """The turn holding `instant` (not before `start`), in O(1)."""
        if self.step is not None:
            return (instant - self.start) // self.step
        elapsed_days = (local_date(instant, self.tz) - self.anchor).days
        k = max(0, elapsed_days // self.days)
        # The local date puts k within one turn of the answer: the handoff on that date may
        # still be ahead (earlier wall time) or, at a DST edge, land on a neighbouring date.
        while k > 0 and self.boundary(k) > instant:
            k -= 1
        while self.boundary(k + 1) <= instant:
            k += 1
        return k

    def handoffs(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Turn boundaries strictly inside (start, end), the rotation's own start included."""
        if start < self.start < end:
            yield self.start
        if end <= self.start:
            return
        k = self.index_at(max(start, self.start)) + 1
        while (edge := self.boundary(k)) < end:
            yield edge
            k += 1
