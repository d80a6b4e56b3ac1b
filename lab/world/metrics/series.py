"""One metric series: its labels, how its baseline moves, and its value at any instant.

A value is a pure function of (seed, series, instant, overlays): no state advances when it
is read, so queries may come in any order, and a year of history costs nothing to keep.

    baseline(t) = base * (1 + daily * diurnal(t)) * (1 - weekly * weekend(t))
                  + trend_per_day * days(t - anchor)
                  + noise * (smooth(t) + 0.5 * white(t))

then each overlay that covers `t` changes it (in the order they were added), and the result
is clamped into [low, high], the series' physical bounds. Samples sit on the scrape grid:
the value at `t` is the value of the last scrape at or before `t`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lab.world.metrics.overlays import Overlay
from lab.world.randomness import Keyed

SCRAPE_INTERVAL = timedelta(seconds=15)
NOISE_KNOT = timedelta(minutes=10)
"""Spacing of the smooth noise's knots: the noise wanders over tens of minutes."""
PEAK_HOUR_UTC = 14.0
"""Diurnal peak (early afternoon in Europe, where the lab's sites are)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def labels_key(labels: Mapping[str, str]) -> str:
    """The canonical text of a label set: `name{a="1",b="2"}` with sorted labels."""
    name = labels.get("__name__", "")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{inner}}}"


@dataclass(frozen=True)
class Shape:
    """How a baseline moves: level, seasonality, trend, noise and bounds."""

    base: float
    daily: float = 0.0
    """Relative diurnal amplitude: +daily at the peak hour, -daily twelve hours later."""
    weekly: float = 0.0
    """Relative drop on Saturdays and Sundays."""
    trend_per_day: float = 0.0
    noise: float = 0.0
    """Standard deviation of the noise, in the series' unit."""
    low: float = 0.0
    high: float = math.inf
    integer: bool = False
    """Round values (bytes, counts)."""


@dataclass
class Series:
    """A series of the lab: labels, shape, lifetime and overlays."""

    labels: dict[str, str]
    shape: Shape
    start: datetime
    """When the series appeared (the pod, VM or host came to be)."""
    end: datetime | None = None
    """When it stopped being scraped (the pod was deleted); None while alive."""
    overlays: list[Overlay] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The metric name."""
        return self.labels["__name__"]

    @property
    def key(self) -> str:
        """The canonical label text, also the series' noise key."""
        return labels_key(self.labels)

    def alive(self, at: datetime) -> bool:
        """Whether a scrape at `at` would have a sample of this series."""
        return self.start <= at and (self.end is None or at < self.end)

    def value(self, rng: Keyed, anchor: datetime, at: datetime) -> float:
        """The sampled value at `at` (on the scrape grid), overlays applied, clamped."""
        at = scrape_time(at)
        shape = self.shape
        value = shape.base * (1.0 + shape.daily * diurnal(at))
        value *= 1.0 - shape.weekly * weekend(at)
        value += shape.trend_per_day * ((at - anchor) / timedelta(days=1))
        if shape.noise:
            value += shape.noise * (self._smooth_noise(rng, at) + 0.5 * self._white(rng, at))
        for overlay in self.overlays:
            if overlay.covers(at):
                value = overlay.effect.apply(value, at - overlay.start)
        value = min(max(value, shape.low), shape.high)
        return float(round(value)) if shape.integer else value

    def _white(self, rng: Keyed, at: datetime) -> float:
        return rng.normal("white", self.key, int((at - _EPOCH).total_seconds()))

    def _smooth_noise(self, rng: Keyed, at: datetime) -> float:
        position = (at - _EPOCH) / NOISE_KNOT
        knot = math.floor(position)
        frac = position - knot
        left, right = rng.normal("knot", self.key, knot), rng.normal("knot", self.key, knot + 1)
        return left + (right - left) * frac


def scrape_time(at: datetime) -> datetime:
    """The last scrape at or before `at`."""
    seconds = (at - _EPOCH) // timedelta(seconds=1)
    step = int(SCRAPE_INTERVAL.total_seconds())
    return _EPOCH + timedelta(seconds=seconds - seconds % step)


def diurnal(at: datetime) -> float:
    """+1 at the peak hour (UTC), -1 twelve hours later, a cosine in between."""
    hour = at.hour + at.minute / 60 + at.second / 3600
    return math.cos(2 * math.pi * (hour - PEAK_HOUR_UTC) / 24)


def weekend(at: datetime) -> float:
    """1 on Saturdays and Sundays (UTC), 0 otherwise."""
    return 1.0 if at.weekday() >= 5 else 0.0
