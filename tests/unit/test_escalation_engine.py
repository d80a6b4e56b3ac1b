"""The escalation engine, table-driven with fixed instants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from incidents.alerts.schema import Severity
from incidents.escalation.engine import (
    EscalationState,
    Facts,
    Note,
    Page,
    Post,
    ResolveIncident,
    Unacknowledge,
    acknowledged,
    next_step,
    start,
)
from incidents.escalation.policy import PolicySpec, TimeWindow

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Chicago (CST)
ADA, BOB, CY, DEE = (uuid.UUID(int=n) for n in (1, 2, 3, 4))
SCHEDULE, TEAM, CHANNEL = uuid.UUID(int=100), uuid.UUID(int=200), uuid.UUID(int=300)
CRIT = Facts(severity=Severity.CRITICAL)


def policy(*steps: dict[str, Any], **options: Any) -> PolicySpec:
    return PolicySpec.model_validate({"name": "p", "steps": list(steps), **options})


def pages(result_actions: tuple[object, ...]) -> list[uuid.UUID]:
    return [a.user_id for a in result_actions if isinstance(a, Page)]


def notes(result_actions: tuple[object, ...]) -> list[str]:
    return [a.text for a in result_actions if isinstance(a, Note)]


def test_notify_wait_notify_runs_in_two_ticks() -> None:
    p = policy(
        {"type": "notify_users", "users": [str(ADA)]},
        {"type": "wait", "minutes": 5},
        {"type": "notify_users", "users": [str(BOB), str(CY)]},
    )
    first = next_step(p, start(T0), T0, CRIT)
    assert pages(first.actions) == [ADA]
    assert first.state == EscalationState(
        status="active", step_index=2, loops=0, next_step_at=T0 + timedelta(minutes=5)
    )
    second = next_step(p, first.state, T0 + timedelta(minutes=5), CRIT)
    assert pages(second.actions) == [BOB, CY]
    assert second.state.status == "done" and second.state.next_step_at is None
    assert notes(second.actions) == ["escalation policy finished"]


@pytest.mark.parametrize(
    ("on_call", "if_nobody", "expected_pages", "expected_note"),
    [
        ((BOB,), "skip", [BOB], None),
        (
            (),
            "skip",
            [],
            "nobody on call on schedule 00000000-0000-0000-0000-000000000064; skipped",
        ),
        (
            (),
            "fallback",
            [DEE],
            "nobody on call on schedule 00000000-0000-0000-0000-000000000064; paging the fallback",
        ),
    ],
)
def test_schedule_step_and_nobody_on_call(
    on_call: tuple[uuid.UUID, ...],
    if_nobody: str,
    expected_pages: list[uuid.UUID],
    expected_note: str | None,
) -> None:
    step: dict[str, Any] = {
        "type": "notify_schedule",
        "schedule_id": str(SCHEDULE),
        "if_nobody": if_nobody,
    }
    if if_nobody == "fallback":
        step["fallback_users"] = [str(DEE)]
    result = next_step(
        policy(step), start(T0), T0, Facts(severity=Severity.CRITICAL, on_call={SCHEDULE: on_call})
    )
    assert pages(result.actions) == expected_pages
    if expected_note:
        assert any(expected_note in n for n in notes(result.actions))


def test_team_channel_and_empty_team() -> None:
    p = policy(
        {"type": "notify_team", "team_id": str(TEAM)},
        {"type": "notify_channel", "channel_id": str(CHANNEL)},
    )
    result = next_step(
        p, start(T0), T0, Facts(severity=Severity.ERROR, team_members={TEAM: (ADA, BOB)})
    )
    assert pages(result.actions) == [ADA, BOB]
    assert Post(CHANNEL, 1) in result.actions
    empty = next_step(p, start(T0), T0, Facts(severity=Severity.ERROR))
    assert pages(empty.actions) == [] and "has no members" in notes(empty.actions)[0]


def test_round_robin_takes_turns_across_incidents() -> None:
    p = policy({"type": "round_robin", "users": [str(ADA), str(BOB), str(CY)]})
    positions: dict[int, int] = {}
    paged = []
    for _ in range(4):  # four incidents in a row
        result = next_step(
            p, start(T0), T0, Facts(severity=Severity.CRITICAL, round_robin=positions)
        )
        paged += pages(result.actions)
        positions = dict(result.round_robin)
    assert paged == [ADA, BOB, CY, ADA]


def test_repeat_is_bounded() -> None:
    p = policy(
        {"type": "notify_users", "users": [str(ADA)]},
        {"type": "wait", "minutes": 10},
        {"type": "repeat", "times": 2},
    )
    state, now, paged = start(T0), T0, []
    for _ in range(10):
        if state.status != "active":
            break
        assert state.next_step_at is not None
        now = state.next_step_at
        result = next_step(p, state, now, CRIT)
        paged += pages(result.actions)
        state = result.state
    assert len(paged) == 3  # the first pass and two repeats
    assert state.status == "done" and now == T0 + timedelta(minutes=30)


def test_repeat_without_a_wait_is_refused() -> None:
    with pytest.raises(ValidationError, match="a repeat needs a wait step before it"):
        policy({"type": "notify_users", "users": [str(ADA)]}, {"type": "repeat", "times": 3})


def test_auto_resolve_step() -> None:
    result = next_step(policy({"type": "auto_resolve"}), start(T0), T0, CRIT)
    assert ResolveIncident() in result.actions and result.state.status == "done"


@pytest.mark.parametrize(
    ("condition", "severity", "runs"),
    [
        ({"severities": ["critical"]}, Severity.CRITICAL, True),
        ({"severities": ["critical"]}, Severity.ERROR, False),
        ({"urgency": "high"}, Severity.ERROR, True),
        ({"urgency": "low"}, Severity.CRITICAL, False),
        # 09:00 Chicago on a Monday: inside business hours, outside the night shift
        (
            {
                "window": {
                    "timezone": "America/Chicago",
                    "days": [0, 1, 2, 3, 4],
                    "start": "08:00",
                    "end": "18:00",
                }
            },
            Severity.CRITICAL,
            True,
        ),
        (
            {"window": {"timezone": "America/Chicago", "start": "22:00", "end": "06:00"}},
            Severity.CRITICAL,
            False,
        ),
        (
            {
                "window": {
                    "timezone": "Europe/Berlin",
                    "days": [5, 6],
                    "start": "00:00",
                    "end": "00:00",
                }
            },
            Severity.CRITICAL,
            False,
        ),
    ],
)
def test_step_conditions(condition: dict[str, Any], severity: Severity, runs: bool) -> None:
    p = policy(
        {"type": "notify_users", "users": [str(ADA)], "when": condition}, escalate_low_urgency=True
    )
    result = next_step(p, start(T0), T0, Facts(severity=severity))
    assert (pages(result.actions) == [ADA]) is runs
    if not runs:
        assert "skipped: its condition does not hold" in notes(result.actions)[0]


def test_time_window_wrapping_midnight_follows_local_time_across_dst() -> None:
    night = TimeWindow(
        timezone="America/Chicago", days=[6], start=time(22), end=time(6)
    )  # Sunday night
    # 2026-11-01 is the fall-back Sunday; 05:30 on Monday Nov 2 local is still Sunday's window
    assert night.contains(datetime(2026, 11, 2, 11, 30, tzinfo=UTC))  # 05:30 CST Monday
    assert not night.contains(datetime(2026, 11, 2, 12, 30, tzinfo=UTC))  # 06:30 CST
    assert night.contains(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))  # 22:00 CST Sunday
    assert not night.contains(datetime(2026, 11, 2, 3, 30, tzinfo=UTC))  # 21:30 CST Sunday


def test_low_urgency_pages_once_and_holds_unless_configured() -> None:
    steps = (
        {"type": "notify_users", "users": [str(ADA)]},
        {"type": "wait", "minutes": 5},
        {"type": "notify_users", "users": [str(BOB)]},
    )
    held = next_step(policy(*steps), start(T0), T0, Facts(severity=Severity.WARNING))
    assert (
        pages(held.actions) == [ADA]
        and held.state.status == "held"
        and held.state.next_step_at is None
    )
    escalating = next_step(
        policy(*steps, escalate_low_urgency=True), start(T0), T0, Facts(severity=Severity.WARNING)
    )
    assert escalating.state.status == "active"


def test_acknowledgement_stops_or_times_out_and_restarts() -> None:
    steps = (
        {"type": "notify_users", "users": [str(ADA)]},
        {"type": "wait", "minutes": 5},
        {"type": "notify_users", "users": [str(BOB)]},
    )
    assert acknowledged(policy(*steps), start(T0), T0).status == "done"

    p = policy(*steps, ack_timeout_minutes=30)
    state = acknowledged(p, start(T0), T0)
    assert state.status == "acknowledged" and state.next_step_at == T0 + timedelta(minutes=30)
    lapsed = next_step(p, state, T0 + timedelta(minutes=30), CRIT)
    assert isinstance(lapsed.actions[0], Unacknowledge)
    assert pages(lapsed.actions) == [ADA]  # escalation starts again from the first step
    assert lapsed.state.step_index == 2 and lapsed.state.next_step_at == T0 + timedelta(minutes=35)
    assert lapsed.state.epoch == 1  # a new run: its pages are new deliveries


def test_done_and_held_states_do_nothing() -> None:
    p = policy({"type": "notify_users", "users": [str(ADA)]})
    for status in ("done", "held"):
        result = next_step(p, EscalationState(status=status), T0, CRIT)
        assert result.actions == () and result.state.status == status
