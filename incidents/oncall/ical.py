"""iCalendar (RFC 5545) export of on-call shifts, for calendar subscriptions.

Hand-written: the subset needed (one VCALENDAR of VEVENTs with UTC times and TEXT values)
is small, and no iCalendar library is a dependency of the project.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from incidents.oncall.engine import timeline
from incidents.oncall.model import Schedule, Shift

PRODID = "-//PixelView//On-call schedule//EN"
_CRLF = "\r\n"
_MAX_OCTETS = 75
"""Longest physical line, CRLF excluded (RFC 5545 §3.1)."""


def escape_text(value: str) -> str:
    r"""Escape a TEXT value (RFC 5545 §3.3.11): `\`, `;`, `,` and line breaks.

    Other control characters are not allowed in TEXT and are dropped (tab is kept).
    """
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in escaped if ch == "\t" or not (ord(ch) < 0x20 or ord(ch) == 0x7F))


def fold_line(line: str) -> str:
    """Fold a content line into physical lines of at most 75 octets (RFC 5545 §3.1).

    Continuation lines start with one space; a multi-octet UTF-8 character is never split.
    """
    lines: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        octets = len(ch.encode("utf-8", "surrogatepass"))
        if size + octets > _MAX_OCTETS:
            lines.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += octets
    lines.append("".join(current))
    return _CRLF.join(lines)


def _utc_stamp(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"stamp must be timezone-aware, got the naive datetime {value.isoformat()}"
        )
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def shift_uid(schedule: Schedule, shift: Shift, *, feed: str) -> str:
    """A UID that is the same each time the same shift is exported in the same `feed`.

    A shift cut by the export range is a different shift (its start or end differs).
    """
    parts = (
        feed,
        schedule.name,
        shift.user,
        shift.source,
        shift.layer or "",
        _utc_stamp(shift.start),
        _utc_stamp(shift.end),
    )
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{digest}@pixelview"


def _event(schedule: Schedule, shift: Shift, *, summary: str, stamp: str, feed: str) -> list[str]:
    description = "Override" if shift.layer is None else f"Layer: {shift.layer}"
    return [
        "BEGIN:VEVENT",
        f"UID:{shift_uid(schedule, shift, feed=feed)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc_stamp(shift.start)}",
        f"DTEND:{_utc_stamp(shift.end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        "END:VEVENT",
    ]


def _calendar(name: str, events: list[list[str]]) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
        *(line for event in events for line in event),
        "END:VCALENDAR",
    ]
    return "".join(fold_line(line) + _CRLF for line in lines)


def schedule_ical(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    name: str,
    stamp: datetime | None = None,
) -> str:
    """The schedule's resolved timeline in [start, end) as an iCalendar named `name`.

    One event per shift, summary "On call: <user>". `stamp` is the DTSTAMP of every event
    (pass the clock's now); it defaults to `start` so that the output is a pure function.

    Raises:
        ValueError: a datetime is naive, or `end` is before `start`.
    """
    shifts = timeline(schedule, start, end)
    dtstamp = _utc_stamp(stamp or start)
    events = [
        _event(schedule, shift, summary=f"On call: {shift.user}", stamp=dtstamp, feed="schedule")
        for shift in shifts
    ]
    return _calendar(name, events)


def user_ical(
    schedule: Schedule,
    user: str,
    start: datetime,
    end: datetime,
    *,
    stamp: datetime | None = None,
) -> str:
    """The shifts of `user` in the schedule's resolved timeline in [start, end), as iCalendar.

    Summary "<schedule name> on call"; `stamp` as in `schedule_ical`.

    Raises:
        ValueError: a datetime is naive, or `end` is before `start`.
    """
    shifts = [shift for shift in timeline(schedule, start, end) if shift.user == user]
    dtstamp = _utc_stamp(stamp or start)
    summary = f"{schedule.name} on call"
    events = [
        _event(schedule, shift, summary=summary, stamp=dtstamp, feed=f"user:{user}")
        for shift in shifts
    ]
    return _calendar(f"{schedule.name}: {user}", events)
