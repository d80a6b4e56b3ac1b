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

from lab.world.crashloop import crashloop_state


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
class Climb:
    """Add `per_second` for every second since the start (a counter of errors that began)."""

    per_second: float

    def apply(self, value: float, elapsed: timedelta) -> float:
        """`value` plus what the extra rate counted within `elapsed`."""
        return value + self.per_second * elapsed.total_seconds()


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
        return value + crashloop_state(elapsed, self.runs_for).restarts


@dataclass(frozen=True)
class CrashLoopFill:
    """A crash-looping container's gauge: from its baseline up to `level` on every run.

    A working set filling its memory limit until the OOM killer ends the run; it reads 0
    while the kubelet waits out the back-off.
    """

    level: float
    runs_for: timedelta

    def apply(self, value: float, elapsed: timedelta) -> float:
        """The baseline-to-level climb of the current run, or 0 between runs."""
        state = crashloop_state(elapsed, self.runs_for)
        if not state.running:
            return 0.0
        progress = min(1.0, (elapsed - state.since) / self.runs_for)
        return value + (self.level - value) * progress


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
