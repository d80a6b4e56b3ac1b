"""The on-call engine on UTC schedules, table-driven with fixed instants (DST: test_oncall_dst)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from incidents.oncall.engine import gaps, layer_shifts, on_call, timeline
from incidents.oncall.model import (
    DailyRestriction,
    Layer,
    Override,
    Schedule,
    Shift,
    TurnLength,
    Unavailability,
    Weekday,
    WeeklyRestriction,
)

MON = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, 00:00 UTC
H = timedelta(hours=1)
D = timedelta(days=1)
ABC = ["a", "b", "c"]
BUSINESS_HOURS = WeeklyRestriction(
    start_day=Weekday.MONDAY, start=time(9), end_day=Weekday.FRIDAY, end=time(17)
)


def layer(
    name: str = "primary",
    participants: list[str] | None = None,
    *,
    start: datetime = MON,
    kind: str = "daily",
    **options: Any,
) -> Layer:
    turn: dict[str, Any] = {"kind": kind}
    turn.update({k: options.pop(k) for k in ("count", "seconds") if k in options})
    return Layer.model_validate(
        {
            "name": name,
            "participants": ABC if participants is None else participants,
            "start": start,
            "turn": turn,
            **options,
        }
    )


def schedule(*layers: Layer, tz: str = "UTC", **options: Any) -> Schedule:
    return Schedule.model_validate(
        {"name": "ops", "timezone": tz, "layers": list(layers), **options}
    )


def spans(shifts: list[Shift]) -> list[tuple[str, datetime, datetime, str | None]]:
    return [(s.user, s.start, s.end, s.layer) for s in shifts]


# ---------------------------------------------------------------- rotations


@pytest.mark.parametrize(
    ("kind", "options", "at", "expected"),
    [
        ("daily", {}, MON - timedelta(seconds=1), []),  # before the layer starts
        ("daily", {}, MON, ["a"]),
        ("daily", {}, MON + D - timedelta(microseconds=1), ["a"]),
        ("daily", {}, MON + D, ["b"]),
        ("daily", {}, MON + 2 * D + 12 * H, ["c"]),
        ("daily", {}, MON + 3 * D, ["a"]),
        ("daily", {"count": 2}, MON + D, ["a"]),
        ("daily", {"count": 2}, MON + 2 * D, ["b"]),
        ("daily", {"count": 2}, MON + 5 * D, ["c"]),
        ("weekly", {}, MON + 6 * D + 23 * H, ["a"]),
        ("weekly", {}, MON + 7 * D, ["b"]),
        ("weekly", {}, MON + 20 * D, ["c"]),
        ("weekly", {}, MON + 21 * D, ["a"]),
        ("weekly", {"count": 2}, MON + 14 * D, ["b"]),
        ("hourly", {"count": 8}, MON + 7 * H + 59 * timedelta(minutes=1), ["a"]),
        ("hourly", {"count": 8}, MON + 8 * H, ["b"]),
        ("hourly", {"count": 8}, MON + 16 * H, ["c"]),
        ("hourly", {"count": 8}, MON + 24 * H, ["a"]),
        ("hourly", {}, MON + 4 * H, ["b"]),
        ("custom", {"seconds": 5400}, MON + 89 * timedelta(minutes=1), ["a"]),
        ("custom", {"seconds": 5400}, MON + 90 * timedelta(minutes=1), ["b"]),
        ("custom", {"seconds": 5400}, MON + 3 * H, ["c"]),
        ("custom", {"seconds": 5400}, MON + 4 * H + 30 * timedelta(minutes=1), ["a"]),
    ],
)
def test_who_is_on_call_in_a_rotation_of_three(
    kind: str, options: dict[str, Any], at: datetime, expected: list[str]
) -> None:
    assert on_call(schedule(layer(kind=kind, **options)), at) == expected


START_2024 = datetime(2024, 1, 1, 9, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("kind", "at", "expected"),
    [
        # 2024-01-01 to 2029-01-01 is 1827 days (two leap years): turn 1827 = 3 * 609, so "a"
        # until 09:00 on 2029-01-02, then turn 1828.
        ("daily", datetime(2029, 1, 2, 8, 59, tzinfo=UTC), "a"),
        ("daily", datetime(2029, 1, 2, 9, tzinfo=UTC), "b"),
        # 1827 days is 261 weeks exactly, and 261 = 3 * 87.
        ("weekly", datetime(2029, 1, 1, 9, tzinfo=UTC), "a"),
        ("weekly", datetime(2029, 1, 8, 8, 59, tzinfo=UTC), "a"),
        ("weekly", datetime(2029, 1, 8, 9, tzinfo=UTC), "b"),
        # 1827 * 24 hours is a multiple of 3; 5 more hours is turn 3k + 5, participant 2.
        ("hourly", datetime(2029, 1, 1, 14, 30, tzinfo=UTC), "c"),
        # A century later, still arithmetic: 24 leap days (2100 is not one), so 2124-01-03 is
        # 36526 days after the start, and 36526 = 3 * 12175 + 1.
        ("daily", datetime(2124, 1, 3, 9, tzinfo=UTC), "b"),
    ],
)
def test_turn_index_years_after_the_start(kind: str, at: datetime, expected: str) -> None:
    assert on_call(schedule(layer(kind=kind, start=START_2024)), at) == [expected]


def test_duplicate_participant_takes_two_turns() -> None:
    rota = schedule(layer(participants=["a", "b", "a"]))
    assert [on_call(rota, MON + n * D) for n in range(4)] == [["a"], ["b"], ["a"], ["a"]]


@pytest.mark.parametrize(
    ("start_hour", "handoff", "first_turn_ends"),
    [
        (9, time(9), MON + D + 9 * H),  # the usual case: handoff at start's local time
        (8, time(9), MON + D + 9 * H),  # first turn 25 h
        (10, time(9), MON + D + 9 * H),  # first turn 23 h
        (9, None, MON + D + 9 * H),  # defaults to start's local time
    ],
)
def test_handoff_time(start_hour: int, handoff: time | None, first_turn_ends: datetime) -> None:
    start = MON + start_hour * H
    rota = schedule(layer(start=start, handoff_time=handoff))
    shifts = layer_shifts(rota, "primary", MON, MON + 3 * D + 9 * H)
    assert spans(shifts) == [
        ("a", start, first_turn_ends, "primary"),
        ("b", first_turn_ends, first_turn_ends + D, "primary"),
        ("c", first_turn_ends + D, first_turn_ends + 2 * D, "primary"),
    ]


def test_single_participant_turns_merge_into_one_shift() -> None:
    shifts = timeline(schedule(layer(participants=["solo"])), MON, MON + 10 * D)
    assert spans(shifts) == [("solo", MON, MON + 10 * D, "primary")]


# ---------------------------------------------------------------- restrictions

NIGHTS = DailyRestriction(start=time(22), end=time(6))


@pytest.mark.parametrize(
    ("restriction", "at", "covered"),
    [
        (NIGHTS, MON + 21 * H + 59 * timedelta(minutes=1), False),
        (NIGHTS, MON + 22 * H, True),
        (NIGHTS, MON + D + 3 * H, True),
        (NIGHTS, MON + D + 6 * H - timedelta(microseconds=1), True),
        (NIGHTS, MON + D + 6 * H, False),
        (NIGHTS, MON + 3 * H, True),  # the window that opened Sunday 22:00 (before the start)
        (BUSINESS_HOURS, MON + 8 * H + 59 * timedelta(minutes=1), False),
        (BUSINESS_HOURS, MON + 9 * H, True),
        (BUSINESS_HOURS, MON + 2 * D + 3 * H, True),  # Wednesday night
        (BUSINESS_HOURS, MON + 4 * D + 17 * H - timedelta(microseconds=1), True),
        (BUSINESS_HOURS, MON + 4 * D + 17 * H, False),
        (BUSINESS_HOURS, MON + 5 * D + 12 * H, False),  # Saturday
        (BUSINESS_HOURS, MON + 7 * D + 9 * H, True),  # next Monday
    ],
)
def test_restriction_limits_when_a_layer_covers(
    restriction: DailyRestriction | WeeklyRestriction, at: datetime, covered: bool
) -> None:
    rota = schedule(layer(participants=["a"], start=MON - 7 * D, restrictions=[restriction]))
    assert on_call(rota, at) == (["a"] if covered else [])


def test_weekly_restriction_wrapping_the_week() -> None:
    weekends = WeeklyRestriction(
        start_day=Weekday.FRIDAY, start=time(17), end_day=Weekday.MONDAY, end=time(9)
    )
    rota = schedule(layer(participants=["a"], start=MON - 7 * D, restrictions=[weekends]))
    shifts = layer_shifts(rota, "primary", MON, MON + 14 * D)
    assert spans(shifts) == [
        ("a", MON, MON + 9 * H, "primary"),
        ("a", MON + 4 * D + 17 * H, MON + 7 * D + 9 * H, "primary"),
        ("a", MON + 11 * D + 17 * H, MON + 14 * D, "primary"),
    ]


def test_daily_restriction_wrapping_midnight_splits_turns() -> None:
    rota = schedule(layer(restrictions=[NIGHTS]))
    assert spans(layer_shifts(rota, "primary", MON, MON + 3 * D)) == [
        ("a", MON, MON + 6 * H, "primary"),  # the night that began before the layer did
        ("a", MON + 22 * H, MON + D, "primary"),
        ("b", MON + D, MON + D + 6 * H, "primary"),
        ("b", MON + D + 22 * H, MON + 2 * D, "primary"),
        ("c", MON + 2 * D, MON + 2 * D + 6 * H, "primary"),
        ("c", MON + 2 * D + 22 * H, MON + 3 * D, "primary"),
    ]


def test_lower_layer_shows_through_outside_the_higher_layers_restrictions() -> None:
    base = layer("base", kind="weekly")
    business = layer("business", ["x"], restrictions=[BUSINESS_HOURS])
    rota = schedule(base, business)
    assert on_call(rota, MON + D + 10 * H) == ["x"]
    assert on_call(rota, MON + 5 * D) == ["a"]
    assert on_call(rota, MON + 7 * D + 8 * H) == ["b"]
    assert spans(timeline(rota, MON, MON + 8 * D)) == [
        ("a", MON, MON + 9 * H, "base"),
        ("x", MON + 9 * H, MON + 4 * D + 17 * H, "business"),
        ("a", MON + 4 * D + 17 * H, MON + 7 * D, "base"),
        ("b", MON + 7 * D, MON + 7 * D + 9 * H, "base"),
        ("x", MON + 7 * D + 9 * H, MON + 8 * D, "business"),
    ]


# ---------------------------------------------------------------- overrides


def test_override_splits_a_shift_into_three() -> None:
    rota = schedule(
        layer(participants=["a"]),
        overrides=[Override(user="bob", start=MON + 10 * H, end=MON + 12 * H)],
    )
    assert on_call(rota, MON + 11 * H) == ["bob"]
    shifts = timeline(rota, MON, MON + D)
    assert [(s.user, s.start, s.end, s.source, s.layer) for s in shifts] == [
        ("a", MON, MON + 10 * H, "layer", "primary"),
        ("bob", MON + 10 * H, MON + 12 * H, "override", None),
        ("a", MON + 12 * H, MON + D, "layer", "primary"),
    ]


def test_overlapping_overrides_give_every_user_by_override_start() -> None:
    rota = schedule(
        layer(participants=["a"]),
        overrides=[
            Override(user="dave", start=MON + 12 * H, end=MON + 16 * H),
            Override(user="carol", start=MON + 10 * H, end=MON + 14 * H),
            Override(user="carol", start=MON + 13 * H, end=MON + 15 * H),
        ],
    )
    assert on_call(rota, MON + 11 * H) == ["carol"]
    assert on_call(rota, MON + 13 * H) == ["carol", "dave"]
    assert on_call(rota, MON + 15 * H) == ["dave"]
    assert spans(timeline(rota, MON, MON + D)) == [
        ("a", MON, MON + 10 * H, "primary"),
        ("carol", MON + 10 * H, MON + 15 * H, None),
        ("dave", MON + 12 * H, MON + 16 * H, None),
        ("a", MON + 16 * H, MON + D, "primary"),
    ]
    assert gaps(rota, MON, MON + D) == []


def test_override_in_an_empty_schedule() -> None:
    rota = schedule(overrides=[Override(user="bob", start=MON + H, end=MON + 2 * H)])
    assert on_call(rota, MON + H) == ["bob"]
    assert on_call(rota, MON) == []
    assert gaps(rota, MON, MON + 3 * H) == [(MON, MON + H), (MON + 2 * H, MON + 3 * H)]


# ---------------------------------------------------------------- unavailability


def test_unavailable_participant_is_skipped_for_the_next_one() -> None:
    away = Unavailability(user="a", start=MON + 2 * D, end=MON + 3 * D)
    rota = schedule(layer(kind="weekly"), unavailability=[away])
    assert on_call(rota, MON + 2 * D + H) == ["b"]
    assert spans(layer_shifts(rota, "primary", MON, MON + 7 * D)) == [
        ("a", MON, MON + 2 * D, "primary"),
        ("b", MON + 2 * D, MON + 3 * D, "primary"),
        ("a", MON + 3 * D, MON + 7 * D, "primary"),
    ]


def test_skipping_goes_on_in_turn_order_and_wraps() -> None:
    away = [
        Unavailability(user="c", start=MON + 14 * D, end=MON + 15 * D),
        Unavailability(user="a", start=MON + 14 * D, end=MON + 15 * D),
    ]
    rota = schedule(layer(kind="weekly"), unavailability=away)
    assert on_call(rota, MON + 14 * D) == ["b"]  # c's turn; c then a are away


def test_everyone_unavailable_leaves_a_gap_or_the_lower_layer() -> None:
    away = [Unavailability(user=u, start=MON + D, end=MON + 2 * D) for u in ABC]
    alone = schedule(layer(), unavailability=away)
    assert on_call(alone, MON + D + H) == []
    assert gaps(alone, MON, MON + 3 * D) == [(MON + D, MON + 2 * D)]
    backed = schedule(layer("backup", ["z"]), layer(), unavailability=away)
    assert on_call(backed, MON + D + H) == ["z"]
    assert gaps(backed, MON, MON + 3 * D) == []


# ---------------------------------------------------------------- gaps and ranges


def test_gaps_of_an_empty_schedule_is_the_whole_range() -> None:
    assert gaps(schedule(), MON, MON + D) == [(MON, MON + D)]
    assert timeline(schedule(), MON, MON + D) == []
    assert on_call(schedule(), MON) == []


def test_gaps_of_a_business_hours_schedule() -> None:
    rota = schedule(layer(participants=["x"], restrictions=[BUSINESS_HOURS]))
    assert gaps(rota, MON, MON + 7 * D) == [
        (MON, MON + 9 * H),
        (MON + 4 * D + 17 * H, MON + 7 * D),
    ]


def test_gap_before_the_layer_starts() -> None:
    rota = schedule(layer(start=MON + D))
    assert gaps(rota, MON, MON + 2 * D) == [(MON, MON + D)]


def test_timeline_is_clipped_to_the_range_and_in_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    start = (MON + 12 * H).astimezone(tokyo)
    shifts = timeline(schedule(layer()), start, MON + D + 12 * H)
    assert spans(shifts) == [
        ("a", MON + 12 * H, MON + D, "primary"),
        ("b", MON + D, MON + D + 12 * H, "primary"),
    ]
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in shifts)
    assert timeline(schedule(layer()), MON, MON) == []


def test_instants_in_any_timezone_mean_the_same_thing() -> None:
    rota = schedule(layer())
    assert on_call(rota, (MON + D).astimezone(ZoneInfo("America/Los_Angeles"))) == ["b"]


def test_on_call_agrees_with_timeline_everywhere() -> None:
    rota = schedule(
        layer("base", kind="weekly", start=MON - 3 * D + 5 * H),
        layer("nights", ["n1", "n2"], kind="hourly", count=5, restrictions=[NIGHTS]),
        layer("biz", ["x", "y"], restrictions=[BUSINESS_HOURS], handoff_time=time(9)),
        overrides=[Override(user="o", start=MON + 2 * D + 3 * H, end=MON + 2 * D + 30 * H)],
        unavailability=[
            Unavailability(user="b", start=MON + 8 * D, end=MON + 9 * D + 5 * H),
            Unavailability(user="x", start=MON + 9 * D, end=MON + 10 * D),
        ],
    )
    lower, upper = MON - D, MON + 15 * D
    shifts = timeline(rota, lower, upper)
    at = lower
    while at < upper:
        covering = [s.user for s in shifts if s.start <= at < s.end]
        assert on_call(rota, at) == covering, at
        at += timedelta(minutes=37)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: schedule(tz="Mars/Olympus_Mons"), "unknown timezone 'Mars/Olympus_Mons'"),
        (lambda: schedule(tz="../etc/passwd"), "unknown timezone"),
        (lambda: layer(participants=[]), "at least one participant"),
        (lambda: layer(participants=["a", " "]), "must not be blank"),
        (lambda: layer(start=datetime(2026, 1, 5)), "timezone info"),  # noqa: DTZ001
        (
            lambda: Override(user="a", start=datetime(2026, 1, 5), end=MON),  # noqa: DTZ001
            "timezone info",
        ),
        (lambda: Override(user="a", start=MON, end=MON - H), "must be after start"),
        (lambda: Unavailability(user="a", start=MON, end=MON), "must be after start"),
        (lambda: DailyRestriction(start=time(9), end=time(9)), "daily restriction from 09:00"),
        (
            lambda: WeeklyRestriction(
                start_day=Weekday.MONDAY, start=time(9), end_day=Weekday.MONDAY, end=time(9)
            ),
            "starts and ends on MONDAY 09:00",
        ),
        (lambda: DailyRestriction(start=time(9, tzinfo=UTC), end=time(17)), "carries a timezone"),
        (lambda: layer(kind="hourly", handoff_time=time(9)), "daily and weekly turns only"),
        (lambda: TurnLength(kind="custom"), "custom turn needs `seconds`"),
        (lambda: TurnLength(kind="custom", seconds=30), "greater than or equal to 60"),
        (lambda: TurnLength(kind="daily", seconds=3600), "for custom turns only"),
        (lambda: TurnLength(kind="weekly", count=0), "greater than or equal to 1"),
        (lambda: schedule(layer("x"), layer("x")), "layer names must be unique; repeated: x"),
    ],
)
def test_invalid_schedules_are_rejected_with_a_clear_message(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_naive_or_reversed_instants_are_rejected_by_the_engine() -> None:
    naive = datetime(2026, 1, 5, 12)  # noqa: DTZ001
    rota = schedule(layer())
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        on_call(rota, naive)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        timeline(rota, naive, MON)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        gaps(rota, MON, naive)
    with pytest.raises(ValueError, match="is before start"):
        timeline(rota, MON + D, MON)
    with pytest.raises(ValueError, match=r"no layer 'night' \(layers: 'primary'\)"):
        layer_shifts(rota, "night", MON, MON + D)


def test_models_are_frozen_and_strict() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        layer().name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Override.model_validate({"user": "a", "start": MON, "end": MON + H, "note": "x"})
