"""Restriction windows: the UTC spans during which a restricted layer may cover.

Membership at an instant is defined by the same windows a range enumerates, so `on_call`
and `timeline` cannot disagree, even at DST edges (a window's ends are localized like
handoffs: see `incidents.oncall.localtime`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from incidents.oncall.localtime import local_date, local_instant, week_start
from incidents.oncall.model import DailyRestriction, Restriction

Window = tuple[datetime, datetime]

# Windows starting this many periods before an instant's local date are still looked at:
# a window is shorter than its period, but DST can stretch it by an hour past the next one.
_LOOKBACK_PERIODS = 2
_TINY = timedelta(microseconds=1)


def _period_days(restriction: Restriction) -> int:
    return 1 if isinstance(restriction, DailyRestriction) else 7


def _period_start(restriction: Restriction, day: date) -> date:
    return day if isinstance(restriction, DailyRestriction) else week_start(day)


def _window(restriction: Restriction, tz: ZoneInfo, base: date) -> Window:
    if isinstance(restriction, DailyRestriction):
        start_day = base
        end_day = base + timedelta(days=1 if restriction.end < restriction.start else 0)
    else:
        start_day = base + timedelta(days=restriction.start_day)
        wraps = (restriction.end_day, restriction.end) < (restriction.start_day, restriction.start)
        end_day = base + timedelta(days=restriction.end_day + (7 if wraps else 0))
    return (
        local_instant(start_day, restriction.start, tz),
        local_instant(end_day, restriction.end, tz),
    )


def windows(
    restriction: Restriction, tz: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Window]:
    """The restriction's windows that overlap [start, end), in order and unclipped."""
    period = timedelta(days=_period_days(restriction))
    base = _period_start(restriction, local_date(start, tz)) - _LOOKBACK_PERIODS * period
    last = local_date(end, tz)
    while base <= last:
        opens, closes = _window(restriction, tz, base)
        # A window opening in a spring-forward gap moves later by the gap and may pass its end.
        if opens < closes and opens < end and closes > start:
            yield opens, closes
        base += period


def covers(restrictions: Sequence[Restriction], tz: ZoneInfo, instant: datetime) -> bool:
    """Whether `instant` is inside a window of any of the restrictions (none: always)."""
    if not restrictions:
        return True
    return any(
        opens <= instant < closes
        for restriction in restrictions
        for opens, closes in windows(restriction, tz, instant, instant + _TINY)
    )
