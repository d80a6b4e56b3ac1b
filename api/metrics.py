"""Request metrics and the `/metrics` endpoint in the Prometheus text format."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.db.engine import SessionFactory
from core.jobs.queue import queue_depth
from core.logs import get_logger
from core.metrics import Metrics

log = get_logger(__name__)


class QueueDepthCollector(Collector):
    """Reports how many jobs are in each status, read at scrape time."""

    def __init__(self, sessions: SessionFactory) -> None:
        """Read through `sessions`."""
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge sample per job status; nothing when the database is down."""
        family = GaugeMetricFamily(
            "pixelview_jobs", "Jobs in the queue by status", labels=["status"]
        )
        try:
            with self._sessions() as session:
                depth = queue_depth(session)
        except Exception:  # a scrape must not fail because the database did
            log.warning("metrics.queue_depth_unavailable", exc_info=True)
            return
        for status, count in depth.items():
            family.add_metric([status], count)
        yield family


def _route_template(request: Request) -> str:
    # Label by template (/api/v1/incidents/{id}), never by raw path: bounded cardinality.
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def install_metrics(app: FastAPI, metrics: Metrics, sessions: SessionFactory) -> None:
    """Count and time every request, and serve `/metrics`."""
    metrics.registry.register(QueueDepthCollector(sessions))

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = _route_template(request)
            metrics.http_requests.labels(request.method, route, str(status)).inc()
            metrics.http_latency.labels(request.method, route).observe(
                time.perf_counter() - started
            )

    router = APIRouter(tags=["operations"])

    @router.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
