"""DST: calendar turns and restrictions keep local wall-clock times; hourly turns are elapsed.

America/Chicago falls back on 2026-11-01 (02:00 CDT -> 01:00 CST) and springs forward on
2027-03-14 (02:00 CST -> 03:00 CDT).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidents.oncall.engine import layer_shifts, on_call, timeline
from incidents.oncall.localtime import local_instant
from incidents.oncall.model import DailyRestriction, Layer, Schedule, TurnLength

CHI = ZoneInfo("America/Chicago")
H = timedelta(hours=1)
D = timedelta(days=1)
WEEK = 7 * D


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def chicago(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHI, fold=fold)


def rota(start: datetime, kind: str = "weekly", **options: Any) -> Schedule:
    turn: dict[str, Any] = {"kind": kind}
    turn.update({k: options.pop(k) for k in ("count", "seconds") if k in options})
    return Schedule(
        name="ops",
        timezone="America/Chicago",
        layers=[
            Layer.model_validate(
                {"name": "L", "participants": ["a", "b", "c"], "start": start, "turn": turn}
                | options
            )
        ],
    )


# ---------------------------------------------------------------- weekly, Monday 09:00

MONDAY_9 = rota(chicago(2026, 10, 5, 9), handoff_time=time(9))
WEEKLY = layer_shifts(MONDAY_9, "L", utc(2026, 10, 5), utc(2027, 4, 5))


def test_weekly_handoffs_stay_at_monday_9_local_all_winter() -> None:
    starts = [s.start.astimezone(CHI) for s in WEEKLY]
    assert len(starts) == 26
    assert {(s.weekday(), s.time()) for s in starts} == {(0, time(9))}
    assert [s.user for s in WEEKLY] == ["a", "b", "c"] * 8 + ["a", "b"]


@pytest.mark.parametrize(
    ("week_start", "utc_length"),
    [
        (utc(2026, 10, 19, 14), WEEK),  # CDT all week
        (utc(2026, 10, 26, 14), WEEK + H),  # contains the fall-back of Sunday 2026-11-01
        (utc(2026, 11, 2, 15), WEEK),  # CST all week
        (utc(2027, 3, 1, 15), WEEK),
        (utc(2027, 3, 8, 15), WEEK - H),  # contains the spring-forward of Sunday 2027-03-14
        (utc(2027, 3, 15, 14), WEEK),  # CDT again
    ],
)
def test_utc_length_of_weeks_around_dst(week_start: datetime, utc_length: timedelta) -> None:
    (shift,) = [s for s in WEEKLY if s.start == week_start]
    assert shift.end - shift.start == utc_length


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 2026-10-26 09:00 CDT is 14:00Z, a's 4th week (turn 3); a week of 168 elapsed hours
        # would hand off at 14:00Z on 11-02, but 09:00 CST is 15:00Z.
        (utc(2026, 11, 2, 14, 30), "a"),
        (utc(2026, 11, 2, 15), "b"),
        (chicago(2026, 11, 2, 8, 59), "a"),
        (chicago(2026, 11, 2, 9), "b"),
        # 2027-03-08 09:00 CST (15:00Z) is b's; 09:00 CDT on 03-15 is 14:00Z, an hour early in UTC.
        (utc(2027, 3, 15, 13, 59), "b"),
        (utc(2027, 3, 15, 14), "c"),
        (chicago(2027, 3, 15, 9), "c"),
    ],
)
def test_who_is_on_call_at_the_dst_weeks_handoffs(at: datetime, expected: str) -> None:
    assert on_call(MONDAY_9, at) == [expected]


def test_far_future_daily_turn_across_many_dst_changes() -> None:
    # 2024-01-01 to 2029-07-01 is 2008 days: turn 2007 (3 * 669, "a") until 09:00 CDT, then "b".
    daily = rota(chicago(2024, 1, 1, 9), kind="daily")
    assert on_call(daily, chicago(2029, 7, 1, 8, 59)) == ["a"]
    assert on_call(daily, chicago(2029, 7, 1, 9)) == ["b"]
    assert on_call(daily, utc(2029, 7, 1, 14)) == ["b"]  # 09:00 CDT


# ---------------------------------------------------------------- missing and repeated times


def test_local_instant_follows_rfc_5545_at_dst_edges() -> None:
    # Missing 02:30: read with the offset before the gap (CST), i.e. 03:30 CDT.
    assert local_instant(date(2027, 3, 14), time(2, 30), CHI) == utc(2027, 3, 14, 8, 30)
    # Repeated 01:30: the first occurrence (CDT), whatever fold the wall time carries.
    nov_1 = date(2026, 11, 1)
    assert local_instant(nov_1, time(1, 30), CHI) == utc(2026, 11, 1, 6, 30)
    assert local_instant(nov_1, time(1, 30, fold=1), CHI) == utc(2026, 11, 1, 6, 30)


def test_daily_handoff_at_a_missing_local_time() -> None:
    # Turns hand off at 02:30; on 2027-03-14 02:30 does not exist and the handoff is at 03:30 CDT,
    # so the turns on both sides still last 24 elapsed hours.
    daily = rota(chicago(2027, 3, 10, 2, 30), kind="daily")
    shifts = layer_shifts(daily, "L", utc(2027, 3, 13), utc(2027, 3, 16))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("c", utc(2027, 3, 13), utc(2027, 3, 13, 8, 30)),  # from 02:30 CST on 03-12
        ("a", utc(2027, 3, 13, 8, 30), utc(2027, 3, 14, 8, 30)),  # 24 h, to 03:30 CDT
        ("b", utc(2027, 3, 14, 8, 30), utc(2027, 3, 15, 7, 30)),  # 23 h, to 02:30 CDT
        ("c", utc(2027, 3, 15, 7, 30), utc(2027, 3, 16)),
    ]
    assert on_call(daily, chicago(2027, 3, 14, 3, 15)) == ["a"]
    assert on_call(daily, chicago(2027, 3, 14, 3, 30)) == ["b"]


def test_daily_handoff_at_a_repeated_local_time() -> None:
    # 01:30 happens twice on 2026-11-01; the handoff is at the first (CDT, 06:30Z).
    daily = rota(chicago(2026, 10, 30, 1, 30), kind="daily")
    shifts = layer_shifts(daily, "L", utc(2026, 10, 31, 6, 30), utc(2026, 11, 2, 7, 30))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("b", utc(2026, 10, 31, 6, 30), utc(2026, 11, 1, 6, 30)),  # 24 h
        ("c", utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 7, 30)),  # 25 h, to 01:30 CST
    ]
    assert on_call(daily, chicago(2026, 11, 1, 1, 45, fold=1)) == ["c"]  # the second 01:45


def test_handoff_time_given_as_a_repeated_time_of_day() -> None:
    # start at the second 01:30 (CST): the first turn starts there, later ones at 01:30 CDT/CST.
    daily = rota(chicago(2026, 11, 1, 1, 30, fold=1), kind="daily")
    shifts = layer_shifts(daily, "L", utc(2026, 11, 1), utc(2026, 11, 3, 8))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("a", utc(2026, 11, 1, 7, 30), utc(2026, 11, 2, 7, 30)),
        ("b", utc(2026, 11, 2, 7, 30), utc(2026, 11, 3, 7, 30)),
        ("c", utc(2026, 11, 3, 7, 30), utc(2026, 11, 3, 8)),
    ]


# ---------------------------------------------------------------- elapsed turns


@pytest.mark.parametrize(
    ("kind", "options", "local_day_start", "local_day_end", "turns"),
    [
        ("hourly", {}, chicago(2026, 11, 1), chicago(2026, 11, 2), 25),
        ("hourly", {}, chicago(2027, 3, 14), chicago(2027, 3, 15), 23),
        ("custom", {"seconds": 3600}, chicago(2026, 11, 1), chicago(2026, 11, 2), 25),
    ],
)
def test_hourly_and_custom_turns_are_elapsed_time(
    kind: str,
    options: dict[str, int],
    local_day_start: datetime,
    local_day_end: datetime,
    turns: int,
) -> None:
    hourly = rota(chicago(2026, 10, 1), kind=kind, **options)
    shifts = layer_shifts(hourly, "L", local_day_start, local_day_end)
    assert len(shifts) == turns
    assert all(s.end - s.start == H for s in shifts)


# ---------------------------------------------------------------- restrictions


def test_daily_restriction_keeps_local_business_hours_across_fall_back() -> None:
    nine_to_five = DailyRestriction(start=time(9), end=time(17))
    schedule = Schedule(
        name="ops",
        timezone="America/Chicago",
        layers=[
            Layer(
                name="L",
                participants=["x"],
                start=chicago(2026, 10, 1),
                turn=TurnLength(kind="weekly"),
                restrictions=[nine_to_five],
            )
        ],
    )
    shifts = timeline(schedule, chicago(2026, 10, 30), chicago(2026, 11, 3))
    assert [(s.start, s.end) for s in shifts] == [
        (utc(2026, 10, 30, 14), utc(2026, 10, 30, 22)),  # CDT
        (utc(2026, 10, 31, 14), utc(2026, 10, 31, 22)),
        (utc(2026, 11, 1, 15), utc(2026, 11, 1, 23)),  # CST
        (utc(2026, 11, 2, 15), utc(2026, 11, 2, 23)),
    ]


def test_restriction_window_opening_in_the_gap() -> None:
    # 02:30 is missing on 2027-03-14 and becomes 03:30 CDT, after 03:15: no window that day.
    early = DailyRestriction(start=time(2, 30), end=time(3, 15))
    schedule = Schedule(
        name="ops",
        timezone="America/Chicago",
        layers=[
            Layer(
                name="L",
                participants=["x"],
                start=chicago(2027, 3, 1),
                turn=TurnLength(kind="daily"),
                restrictions=[early],
            )
        ],
    )
    shifts = timeline(schedule, chicago(2027, 3, 13), chicago(2027, 3, 16))
    assert [s.start.astimezone(CHI).date().day for s in shifts] == [13, 15]
    assert on_call(schedule, chicago(2027, 3, 14, 3, 10)) == []
