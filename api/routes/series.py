"""Metric series from the metrics backend (Prometheus, or the lab's in the demo), for charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import CurrentCaller, Now
from api.schemas.live import MetricRangeOut, SeriesOut
from connectors.prometheus.port import MetricsPort
from core.errors import Unavailable
from tools.metrics import MIN_STEP_S, auto_step

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.get("/query_range", response_model=MetricRangeOut)
async def query_range(
    request: Request,
    clock: Now,
    caller: CurrentCaller,
    query: Annotated[str, Query(min_length=1, max_length=2000, description="PromQL.")],
    minutes: Annotated[int, Query(ge=1, le=10080, description="The last this many minutes.")] = 60,
    step_seconds: Annotated[int | None, Query(ge=MIN_STEP_S, le=86400)] = None,
) -> MetricRangeOut:
    """The series of `query` over the last `minutes`, as `[epoch seconds, value]` points.

    503 when no metrics backend is configured; 422 when the backend refuses the query.
    """
    del caller
    port: MetricsPort | None = request.app.state.metrics_source
    if port is None:
        raise Unavailable("no metrics backend is configured")
    end = clock.now()
    window = timedelta(minutes=minutes)
    step = timedelta(seconds=step_seconds) if step_seconds else auto_step(window)
    matrix = await port.query_range(query, start=end - window, end=end, step=step)
    return MetricRangeOut(
        query=query,
        start=end - window,
        end=end,
        step_s=int(step.total_seconds()),
        series=[
            SeriesOut(labels=s.labels, points=[(p.at.timestamp(), p.value) for p in s.points])
            for s in matrix
        ],
    )
