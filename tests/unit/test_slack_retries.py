"""Slack's redeliveries: an event id is new once, for a while, within a bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.slack.retries import SeenEvents
from core.clock import ManualClock


def test_an_event_id_is_new_once_until_it_is_forgotten() -> None:
    clock = ManualClock(datetime(2026, 12, 5, tzinfo=UTC))
    seen = SeenEvents(clock, ttl=timedelta(minutes=15))
    assert [seen.first("Ev1"), seen.first("Ev1"), seen.first("Ev2")] == [True, False, True]
    clock.advance(timedelta(minutes=14))
    assert seen.first("Ev1") is False  # Slack's last retry comes about 5 minutes after
    clock.advance(timedelta(minutes=2))
    assert seen.first("Ev1") is True


def test_the_oldest_ids_go_first_when_the_memory_is_full() -> None:
    seen = SeenEvents(ManualClock(datetime(2026, 12, 5, tzinfo=UTC)), limit=3)
    assert all(seen.first(f"Ev{n}") for n in range(4))  # Ev0 made room for Ev3
    assert [seen.first("Ev1"), seen.first("Ev3"), seen.first("Ev0")] == [False, False, True]
