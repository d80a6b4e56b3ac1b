"""Reading metrics the way Prometheus's HTTP API serves them: instant, range and series.

Queries are PromQL strings. Every implementation accepts at least a vector selector
(`name{label="v", other=~"re.*", third!="x"}`); the real client passes any PromQL through,
the lab answers selectors only and raises `core.errors.InvalidRequest` for anything else.
Results are ordered by their labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from connectors.prometheus.models import MetricSample, MetricSeries


class MetricsPort(Protocol):
    """A Prometheus-compatible query endpoint."""

    async def query(self, promql: str, *, at: datetime | None = None) -> list[MetricSample]:
        """Evaluate `promql` at one instant (now when `at` is None): an instant vector."""
        ...

    async def query_range(
        self, promql: str, *, start: datetime, end: datetime, step: timedelta
    ) -> list[MetricSeries]:
        """Evaluate `promql` at `start`, `start + step`, ... up to `end`: a range matrix."""
        ...

    async def series(
        self,
        match: Sequence[str],
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, str]]:
        """Label sets of the series any selector in `match` selects (alive in the window)."""
        ...
