"""Read tool over the metrics port: a series over a window, summarized for a model."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from pydantic import Field

from connectors.prometheus.models import MetricPoint, MetricSeries
from tools.context import ToolDeps
from tools.decorators import Domain, ReadTool, ToolArgs, read_tool
from tools.formatting import View, number, stamp
from tools.result import ToolResult

POINTS_PER_WINDOW = 240
"""Points per series asked of the backend when no step is given (the step follows the window)."""
MIN_STEP_S = 15


class QueryArgs(ToolArgs):
    """Which series, over which window."""

    query: str = Field(
        description="A PromQL series selector, such as "
        'container_memory_working_set_bytes{namespace="payments",pod=~"api-.*"}.'
    )
    minutes: int = Field(60, ge=1, le=10080, description="The window: the last this many minutes.")
    step_seconds: int | None = Field(
        None, ge=MIN_STEP_S, le=86400, description="Resolution; leave it out to fit the window."
    )
    max_series: int = Field(10, ge=1, le=50, description="Summarize at most this many series.")
    samples: int = Field(6, ge=0, le=30, description="Evenly spaced points shown per series.")

    def target(self) -> str:
        """The query."""
        return self.query


class SeriesSummary(View):
    """One series over the window."""

    series: str
    """`name{label="value",...}`."""
    count: int
    first: float
    last: float
    min: float
    max: float
    max_at: str | None
    mean: float
    trend_per_hour: float | None
    """Least-squares slope, in the series' unit per hour (None with fewer than two points)."""
    samples: list[str] | None = None
    """`<instant> <value>`, evenly spaced, first and last included."""


def series_name(labels: dict[str, str]) -> str:
    """`name{a="1",b="2"}` as Prometheus writes a series."""
    rest = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{labels.get('__name__', '')}{{{rest}}}"


def trend_per_hour(points: list[MetricPoint]) -> float | None:
    """The least-squares slope of the points, per hour."""
    if len(points) < 2:
        return None
    origin = points[0].at
    xs = [(p.at - origin).total_seconds() / 3600 for p in points]
    ys = [p.value for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread == 0:
        return None
    return number(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread)


def sampled(points: list[MetricPoint], count: int) -> list[MetricPoint]:
    """`count` evenly spaced points, the first and the last among them."""
    if count <= 0 or not points:
        return []
    if len(points) <= count:
        return points
    if count == 1:
        return [points[-1]]
    picks = sorted({round(i * (len(points) - 1) / (count - 1)) for i in range(count)})
    return [points[i] for i in picks]


def summarize(series: MetricSeries, samples: int) -> SeriesSummary | None:
    """The series' statistics, or None when it has no finite point in the window."""
    points = [p for p in series.points if math.isfinite(p.value)]
    if not points:
        return None
    values = [p.value for p in points]
    peak = max(points, key=lambda p: p.value)
    return SeriesSummary(
        series=series_name(series.labels),
        count=len(points),
        first=number(values[0]),
        last=number(values[-1]),
        min=number(min(values)),
        max=number(peak.value),
        max_at=stamp(peak.at),
        mean=number(sum(values) / len(values)),
        trend_per_hour=trend_per_hour(points),
        samples=[f"{stamp(p.at)} {number(p.value)}" for p in sampled(points, samples)] or None,
    )


def auto_step(window: timedelta) -> timedelta:
    """A step giving about `POINTS_PER_WINDOW` points, a multiple of `MIN_STEP_S` seconds."""
    seconds = window.total_seconds() / POINTS_PER_WINDOW
    return timedelta(seconds=max(MIN_STEP_S, math.ceil(seconds / MIN_STEP_S) * MIN_STEP_S))


@read_tool(args=QueryArgs, domain=Domain.METRICS, narrow="narrow the selector or lower samples")
async def metrics_query(args: QueryArgs, deps: ToolDeps) -> ToolResult[list[SeriesSummary]]:
    """Summarize metric series over a recent window: count, first, last, min, max, mean, trend.

    Each series also gets a few sampled points. Use it to see when a value changed and how fast.
    """
    window = timedelta(minutes=args.minutes)
    step = timedelta(seconds=args.step_seconds) if args.step_seconds else auto_step(window)
    end = deps.clock.now()
    matrix = await deps.prometheus().query_range(args.query, start=end - window, end=end, step=step)
    summaries = [s for s in (summarize(m, args.samples) for m in matrix) if s is not None]
    if not summaries:
        return ToolResult.no_data(f"no samples of {args.query} in the last {args.minutes}m")
    shown = summaries[: args.max_series]
    message = f"{len(summaries)} series, step {int(step.total_seconds())}s"
    if len(shown) < len(summaries):
        message += f"; showing the first {len(shown)}: narrow the selector to see others"
    return ToolResult.ok(shown, message=message)


TOOLS: tuple[ReadTool[Any, Any], ...] = (metrics_query,)
"""Every metrics read tool."""
