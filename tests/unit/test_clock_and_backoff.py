from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.clock import ManualClock, SystemClock, ensure_utc
from core.jobs.backoff import retry_delay

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(T0)
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    with pytest.raises(ValueError, match="never goes backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="never goes backwards"):
        clock.set(T0)
    clock.set(T0 + timedelta(hours=1))
    assert clock.now() == T0 + timedelta(hours=1)


def test_ensure_utc_converts_and_refuses_naive() -> None:
    chicago = datetime(2026, 11, 1, 6, 0, tzinfo=timezone(timedelta(hours=-6)))
    assert ensure_utc(chicago) == T0
    assert ensure_utc(chicago).tzinfo == UTC
    with pytest.raises(ValueError, match="no timezone"):
        ensure_utc(datetime(2026, 11, 1, 12, 0))  # noqa: DTZ001 - the point of the test


def test_retry_delay_doubles_then_caps() -> None:
    delays = [
        retry_delay(n, base_s=2, max_s=30, jitter=0.999999).total_seconds()
        for n in (1, 2, 3, 4, 5, 6)
    ]
    assert [round(d) for d in delays] == [2, 4, 8, 16, 30, 30]


def test_retry_delay_jitter_keeps_between_half_and_full() -> None:
    assert retry_delay(3, base_s=2, max_s=600, jitter=0.0) == timedelta(seconds=4)
    assert retry_delay(3, base_s=2, max_s=600, jitter=0.5) == timedelta(seconds=6)


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.1), (1, 1.0), (1, -0.1)])
def test_retry_delay_rejects_bad_input(attempt: int, jitter: float) -> None:
    with pytest.raises(ValueError):
        retry_delay(attempt, base_s=1, max_s=10, jitter=jitter)
