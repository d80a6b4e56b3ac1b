"""Wall-clock times in a timezone turned into UTC instants, with one rule for DST edges.

A local time can be missing (spring forward: 02:30 does not exist in America/Chicago on
2027-03-14) or repeated (fall back: 01:30 happens twice on 2026-11-01). We follow RFC 5545
§3.3.5, which is also what PEP 495's `fold=0` and java.time do:

* a missing time is read with the UTC offset in force before the gap, which lands as far
  after the gap's end as it was after its start (02:30 becomes 03:30 CDT); a turn that hands
  off at 02:30 therefore still lasts exactly 24 elapsed hours that day;
* a repeated time is its first occurrence (01:30 CDT, not 01:30 CST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `tz`'s clocks read `wall` on `day` (DST edges: see module doc)."""
    # combine() copies the time's fold; force 0 so the rule above holds whatever the input.
    return datetime.combine(day, wall, tzinfo=tz).replace(fold=0).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date in `tz` at `instant`."""
    return instant.astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())
