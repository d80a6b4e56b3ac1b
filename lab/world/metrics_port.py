"""`MetricsPort` over the world's series: Prometheus's query API, selectors only.

The lab has no samples from the future: an instant query after the lab clock's instant
returns nothing, and a range stops at it. Within that, any instant may be asked in any order:
each value is a pure function of the seed, the series, the overlays and the instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from connectors.prometheus.models import MetricPoint, MetricSample, MetricSeries
from core.clock import ensure_utc
from lab.world.world import World


class WorldMetrics:
    """The world's Prometheus (under the world's lock: the demo's driver moves it meanwhile)."""

    def __init__(self, world: World) -> None:
        self._world = world

    async def query(self, promql: str, *, at: datetime | None = None) -> list[MetricSample]:
        """An instant vector at `at` (the lab's now when None)."""
        with self._world.kube.lock:
            now = self._world.now()
            at = now if at is None else ensure_utc(at)
            if at > now:
                return []
            return [
                MetricSample(labels=dict(series.labels), at=at, value=value)
                for series, value in self._world.metrics.instant(promql, at)
            ]

    async def query_range(
        self, promql: str, *, start: datetime, end: datetime, step: timedelta
    ) -> list[MetricSeries]:
        """A range matrix on the grid `start + k * step`, up to `end` and not past now."""
        with self._world.kube.lock:
            start, end = ensure_utc(start), min(ensure_utc(end), self._world.now())
            if end < start:
                return []
            matrix = self._world.metrics.range(promql, start=start, end=end, step=step)
        return [
            MetricSeries(
                labels=dict(series.labels),
                points=tuple(MetricPoint(at=p.at, value=p.value) for p in points),
            )
            for series, points in matrix
        ]

    async def series(
        self,
        match: Sequence[str],
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, str]]:
        """Label sets of the series the selectors select that existed in [start, end]."""
        with self._world.kube.lock:
            now = self._world.now()
            end = now if end is None else min(ensure_utc(end), now)
            start = None if start is None else ensure_utc(start)
            return self._world.metrics.series_labels(match, start=start, end=end)
