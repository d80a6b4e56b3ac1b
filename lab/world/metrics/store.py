"""The lab's metric store: the series of the estate, their overlays, and queries over them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import InvalidRequest
from lab.world.metrics.overlays import Overlay
from lab.world.metrics.selectors import Matcher, parse_selector
from lab.world.metrics.series import Series, Shape, labels_key
from lab.world.randomness import Keyed

LOOKBACK = timedelta(minutes=5)
"""Prometheus's lookback delta: a series deleted longer ago than this drops out of queries."""
MAX_POINTS = 11000
"""Prometheus refuses a range query of more than 11,000 points per series; so does the lab."""


@dataclass(frozen=True)
class Point:
    """One value at one instant."""

    at: datetime
    value: float


class MetricStore:
    """Every series of the lab, answering instant, range and series queries."""

    def __init__(self, *, seed: int, anchor: datetime) -> None:
        """Empty; `anchor` is the instant trends are measured from (the lab's epoch)."""
        self._rng = Keyed(seed)
        self._anchor = anchor
        self._series: dict[str, Series] = {}
        self._overlays: list[Overlay] = []

    @property
    def anchor(self) -> datetime:
        """The instant trends are measured from (a counter's base is its value then)."""
        return self._anchor

    # ------------------------------------------------------------- defining

    def define(self, labels: dict[str, str], shape: Shape, *, start: datetime) -> Series:
        """Add a series (its labels include `__name__`); existing overlays that select it apply."""
        if "__name__" not in labels:
            raise ValueError(f"series {labels} has no __name__")
        series = Series(labels=dict(labels), shape=shape, start=start)
        if series.key in self._series:
            raise ValueError(f"series {series.key} is defined already")
        series.overlays = [o for o in self._overlays if o.selects(series.labels)]
        self._series[series.key] = series
        return series

    def retire(self, labels: dict[str, str], *, at: datetime) -> None:
        """The series stopped being scraped at `at` (its pod was deleted)."""
        self._series[labels_key(labels)].end = at

    def overlay(self, overlay: Overlay) -> int:
        """Apply an overlay to every series it selects, now and defined later; returns how many."""
        self._overlays.append(overlay)
        hits = [s for s in self._series.values() if overlay.selects(s.labels)]
        for series in hits:
            series.overlays.append(overlay)
        return len(hits)

    def end_overlays(self, *, reason: str, at: datetime, **labels: str) -> int:
        """End at `at` the open overlays of `reason` whose match has these labels; how many."""

        def ends(overlay: Overlay) -> bool:
            return (
                overlay.reason == reason
                and overlay.end is None
                and all(overlay.match.get(k) == v for k, v in labels.items())
            )

        ended = {id(o): dataclasses.replace(o, end=at) for o in self._overlays if ends(o)}
        self._overlays = [ended.get(id(o), o) for o in self._overlays]
        for series in self._series.values():
            series.overlays = [ended.get(id(o), o) for o in series.overlays]
        return len(ended)

    # ------------------------------------------------------------- reading

    def get(self, labels: dict[str, str]) -> Series:
        """The series with exactly these labels (KeyError when none)."""
        return self._series[labels_key(labels)]

    def value(self, series: Series, at: datetime) -> float:
        """The series' value at `at` (whether or not it was alive then)."""
        return series.value(self._rng, self._anchor, at)

    def current(self, name: str, at: datetime, **labels: str) -> float | None:
        """The value at `at` of the first series of `name` alive then with these labels."""
        wanted = {"__name__": name, **labels}
        for series in self.all():
            if series.alive(at) and all(series.labels.get(k) == v for k, v in wanted.items()):
                return self.value(series, at)
        return None

    def all(self) -> list[Series]:
        """Every series, ordered by labels."""
        return [self._series[key] for key in sorted(self._series)]

    def select(self, promql: str) -> list[Series]:
        """The series a vector selector selects, ordered by labels."""
        matchers = parse_selector(promql)
        return [s for s in self.all() if _matches(matchers, s.labels)]

    def instant(self, promql: str, at: datetime) -> list[tuple[Series, float]]:
        """An instant vector: each selected series alive within the lookback, and its value."""
        return [
            (s, self.value(s, at)) for s in self.select(promql) if _alive_within(s, at, LOOKBACK)
        ]

    def range(
        self, promql: str, *, start: datetime, end: datetime, step: timedelta
    ) -> list[tuple[Series, list[Point]]]:
        """A range matrix: points at `start + k * step` up to `end` where the series was alive."""
        if step <= timedelta(0):
            raise InvalidRequest("step must be positive")
        if end < start:
            raise InvalidRequest("end must not be before start")
        if (end - start) // step + 1 > MAX_POINTS:
            raise InvalidRequest(
                f"exceeded maximum resolution of {MAX_POINTS} points per timeseries; "
                "increase the step"
            )
        grid = list(_grid(start, end, step))
        matrix = []
        for series in self.select(promql):
            points = [
                Point(t, self.value(series, t)) for t in grid if _alive_within(series, t, LOOKBACK)
            ]
            if points:
                matrix.append((series, points))
        return matrix

    def series_labels(
        self, match: Sequence[str], *, start: datetime | None, end: datetime | None
    ) -> list[dict[str, str]]:
        """Label sets of the series any selector selects, alive at some point in [start, end]."""
        if not match:
            raise InvalidRequest("at least one match[] selector is required")
        keys: set[str] = set()
        for promql in match:
            for series in self.select(promql):
                if _overlaps(series, start, end):
                    keys.add(series.key)
        return [dict(self._series[key].labels) for key in sorted(keys)]


def _matches(matchers: Iterable[Matcher], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def _alive_within(series: Series, at: datetime, lookback: timedelta) -> bool:
    return series.start <= at and (series.end is None or at < series.end + lookback)


def _overlaps(series: Series, start: datetime | None, end: datetime | None) -> bool:
    if end is not None and series.start > end:
        return False
    return not (start is not None and series.end is not None and series.end < start)


def _grid(start: datetime, end: datetime, step: timedelta) -> Iterable[datetime]:
    at = start
    while at <= end:
        yield at
        at += step
