"""Who is on call: a schedule resolved at an instant or over a range. No clock, no I/O.

Precedence at an instant: every override covering it (all their users, earliest override
first); otherwise the highest layer (last in `Schedule.layers`) that has someone, where a
layer has someone when the instant is at or after its start, inside its restrictions (if any),
and the participant whose turn it is, or the next one in turn order, is not on time off.

Instants returned are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from incidents.oncall.model import Layer, Override, Schedule, Shift, ShiftSource
from incidents.oncall.restrictions import covers, windows
from incidents.oncall.rotation import Rotation

_Span = tuple[datetime, datetime]
_Key = tuple[str, ShiftSource, str | None]
"""What makes two adjacent shifts the same shift: user, source, layer."""


@dataclass(frozen=True)
class _Plan:
    layer: Layer
    rotation: Rotation


@dataclass(frozen=True)
class _Compiled:
    tz: ZoneInfo
    plans: list[_Plan]
    away: dict[str, list[_Span]]
    """Time off by user."""


def _compile(schedule: Schedule) -> _Compiled:
    tz = schedule.zone
    away: dict[str, list[_Span]] = {}
    for off in schedule.unavailability:
        away.setdefault(off.user, []).append((off.start, off.end))
    return _Compiled(
        tz=tz,
        plans=[_Plan(layer, Rotation.of(layer, tz)) for layer in schedule.layers],
        away=away,
    )


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} must be timezone-aware, got the naive datetime {value.isoformat()}"
        )
    return value.astimezone(UTC)


def _range(start: datetime, end: datetime) -> _Span:
    lower, upper = _utc(start, "start"), _utc(end, "end")
    if upper < lower:
        raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    return lower, upper


def _is_away(compiled: _Compiled, user: str, instant: datetime) -> bool:
    return any(start <= instant < end for start, end in compiled.away.get(user, ()))


def _layer_user_at(compiled: _Compiled, plan: _Plan, instant: datetime) -> str | None:
    if instant < plan.rotation.start:
        return None
    if not covers(plan.layer.restrictions, compiled.tz, instant):
        return None
    participants = plan.layer.participants
    turn = plan.rotation.index_at(instant)
    for offset in range(len(participants)):
        user = participants[(turn + offset) % len(participants)]
        if not _is_away(compiled, user, instant):
            return user
    return None


def _covering_overrides(overrides: Iterable[Override], instant: datetime) -> list[str]:
    covering = sorted((o for o in overrides if o.start <= instant < o.end), key=lambda o: o.start)
    return list(dict.fromkeys(o.user for o in covering))


def on_call(schedule: Schedule, at: datetime) -> list[str]:
    """Users on call at `at`: one normally, the overrides' users if any, none in a gap.

    O(layers + overrides): each layer's turn index is computed, not counted.

    Raises:
        ValueError: `at` is naive.
    """
    instant = _utc(at, "at")
    users = _covering_overrides(schedule.overrides, instant)
    if users:
        return users
    compiled = _compile(schedule)
    for plan in reversed(compiled.plans):
        user = _layer_user_at(compiled, plan, instant)
        if user is not None:
            return [user]
    return []


class _Merger:
    """Builds shifts from consecutive segments, extending a shift while its key continues."""

    def __init__(self) -> None:
        self._open: dict[_Key, tuple[int, datetime]] = {}
        self._done: list[tuple[int, Shift]] = []
        self._end: datetime | None = None
        self._opened = 0

    def add(self, start: datetime, end: datetime, keys: Sequence[_Key]) -> None:
        for key in [key for key in self._open if key not in keys]:
            self._close(key, start)
        for key in keys:
            if key not in self._open:
                self._open[key] = (self._opened, start)
                self._opened += 1
        self._end = end

    def _close(self, key: _Key, end: datetime) -> None:
        order, start = self._open.pop(key)
        user, source, layer = key
        shift = Shift(user=user, start=start, end=end, source=source, layer=layer)
        self._done.append((order, shift))

    def finish(self) -> list[Shift]:
        for key in list(self._open):
            if self._end is not None:
                self._close(key, self._end)
        # Opening order is start order (ties: the order keys were given in).
        return [shift for _, shift in sorted(self._done, key=lambda done: done[0])]


def _layer_edges(
    compiled: _Compiled, plan: _Plan, lower: datetime, upper: datetime
) -> list[datetime]:
    """Every instant in the range where the layer's answer may change, with the range's ends."""
    edges = {lower, upper, *plan.rotation.handoffs(lower, upper)}
    for restriction in plan.layer.restrictions:
        for window in windows(restriction, compiled.tz, lower, upper):
            edges.update(edge for edge in window if lower < edge < upper)
    for user in set(plan.layer.participants):
        for span in compiled.away.get(user, ()):
            edges.update(edge for edge in span if lower < edge < upper)
    return sorted(edges)


def _layer_track(compiled: _Compiled, plan: _Plan, lower: datetime, upper: datetime) -> list[Shift]:
    merger = _Merger()
    for start, end in pairwise(_layer_edges(compiled, plan, lower, upper)):
        user = _layer_user_at(compiled, plan, start)
        merger.add(start, end, [] if user is None else [(user, "layer", plan.layer.name)])
    return merger.finish()


def layer_shifts(schedule: Schedule, layer: str, start: datetime, end: datetime) -> list[Shift]:
    """The raw rotation of the layer named `layer` in [start, end), after restrictions and time off.

    Consecutive turns of the same user are one shift.

    Raises:
        ValueError: no layer has that name, a datetime is naive, or `end` is before `start`.
    """
    lower, upper = _range(start, end)
    compiled = _compile(schedule)
    for plan in compiled.plans:
        if plan.layer.name == layer:
            return _layer_track(compiled, plan, lower, upper)
    known = ", ".join(repr(p.layer.name) for p in compiled.plans) or "none"
    raise ValueError(f"schedule {schedule.name!r} has no layer {layer!r} (layers: {known})")


class _Cursor:
    """Walks one layer's shifts forward as the timeline's segments advance."""

    def __init__(self, shifts: list[Shift]) -> None:
        self._shifts = shifts
        self._next = 0

    def at(self, instant: datetime) -> Shift | None:
        while self._next < len(self._shifts) and self._shifts[self._next].end <= instant:
            self._next += 1
        if self._next < len(self._shifts) and self._shifts[self._next].start <= instant:
            return self._shifts[self._next]
        return None


def _winners(
    instant: datetime, overrides: Sequence[Override], layers: Sequence[tuple[str, _Cursor]]
) -> list[_Key]:
    users = _covering_overrides(overrides, instant)
    if users:
        return [(user, "override", None) for user in users]
    for name, cursor in reversed(layers):
        shift = cursor.at(instant)
        if shift is not None:
            return [(shift.user, "layer", name)]
    return []


def timeline(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The resolved on-call timeline in [start, end), shifts clipped to it and ordered by start.

    Overrides win, then the highest layer with someone available. Overlapping overrides give
    overlapping shifts, one per user. Linear in the number of handoffs, restriction edges,
    time-off edges and overrides in the range.

    Raises:
        ValueError: a datetime is naive, or `end` is before `start`.
    """
    lower, upper = _range(start, end)
    compiled = _compile(schedule)
    tracks = [_layer_track(compiled, plan, lower, upper) for plan in compiled.plans]
    overrides = [o for o in schedule.overrides if o.start < upper and o.end > lower]
    edges = {lower, upper}
    edges.update(edge for track in tracks for shift in track for edge in (shift.start, shift.end))
    edges.update(edge for o in overrides for edge in (o.start, o.end) if lower < edge < upper)
    layers = [
        (plan.layer.name, _Cursor(track))
        for plan, track in zip(compiled.plans, tracks, strict=True)
    ]
    merger = _Merger()
    for segment_start, segment_end in pairwise(sorted(edges)):
        merger.add(segment_start, segment_end, _winners(segment_start, overrides, layers))
    return merger.finish()


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The spans of [start, end) when nobody is on call.

    Raises:
        ValueError: a datetime is naive, or `end` is before `start`.
    """
    lower, upper = _range(start, end)
    found: list[tuple[datetime, datetime]] = []
    covered_until = lower
    for shift in timeline(schedule, lower, upper):
        if shift.start > covered_until:
            found.append((covered_until, shift.start))
        covered_until = max(covered_until, shift.end)
    if covered_until < upper:
        found.append((covered_until, upper))
    return found
