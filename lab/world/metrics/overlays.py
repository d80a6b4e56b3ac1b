"""Overlays: how a fault bends a series from the instant it starts.

An overlay selects series by label equality (the metric name under `__name__`), covers
`[start, end)` (`end` None: until further notice), and applies one effect to the baseline
value. Effects are pure functions of the baseline and the time since the overlay started, so
a series stays a pure function of time with faults in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

CRASHLOOP_BACKOFF_CAP = timedelta(minutes=5)
"""The kubelet doubles its restart back-off from 10 s up to 5 min."""


class Effect(Protocol):
    """Changes a value, knowing how long ago its overlay started."""

    def apply(self, value: float, elapsed: timedelta) -> float:
        """The changed value."""
        ...


@dataclass(frozen=True)
class Add:
    """Shift by a constant (a leak's extra bytes, a noisy neighbour's extra CPU ready)."""

    delta: float

    def apply(self, value: float, elapsed: timedelta) -> float:
        """`value + delta`."""
        del elapsed
        return value + self.delta


@dataclass(frozen=True)
class Scale:
    """Multiply (load doubled, traffic drained to 0)."""

    factor: float

    def apply(self, value: float, elapsed: timedelta) -> float:
        """`value * factor`."""
        del elapsed
        return value * self.factor


@dataclass(frozen=True)
class Hold:
    """Replace the value (a disconnected host reports 0; a full datastore 0 bytes free)."""

    level: float

    def apply(self, value: float, elapsed: timedelta) -> float:
        """`level`."""
        del value, elapsed
        return self.level


@dataclass(frozen=True)
class Ramp:
    """Move linearly toward `level` over `over`, then stay there (a leak filling a limit)."""

    level: float
    over: timedelta

    def apply(self, value: float, elapsed: timedelta) -> float:
        """Baseline at the start, `level` after `over`."""
        progress = min(1.0, max(0.0, elapsed / self.over)) if self.over else 1.0
        return value + (self.level - value) * progress


@dataclass(frozen=True)
class CrashLoopRestarts:
    """Add the restarts of a container in CrashLoopBackOff to a restart counter.

    Each run lasts `runs_for`; the kubelet then waits 10 s, 20 s, 40 s... capped at 5 min.
    """

    runs_for: timedelta = timedelta(seconds=5)

    def apply(self, value: float, elapsed: timedelta) -> float:
        """`value` plus the restarts that happened within `elapsed`."""
        return value + crashloop_restarts(elapsed, self.runs_for)


def crashloop_restarts(elapsed: timedelta, runs_for: timedelta) -> int:
    """How many times a crash-looping container restarted within `elapsed` of its first crash."""
    restarts, clock, backoff = 0, runs_for, timedelta(seconds=10)
    while clock + backoff <= elapsed:
        clock += backoff + runs_for
        restarts += 1
        backoff = min(backoff * 2, CRASHLOOP_BACKOFF_CAP)
    return restarts


@dataclass(frozen=True)
class Overlay:
    """One effect on the series whose labels include `match`, during `[start, end)`."""

    match: dict[str, str]
    start: datetime
    effect: Effect
    end: datetime | None = None
    reason: str = ""
    """Which fault put it there (for the dump and for debugging a scenario)."""

    def selects(self, labels: dict[str, str]) -> bool:
        """True when every label of `match` has that value in `labels`."""
        return all(labels.get(k) == v for k, v in self.match.items())

    def covers(self, at: datetime) -> bool:
        """True when `at` lies within the overlay's time span."""
        return self.start <= at and (self.end is None or at < self.end)
