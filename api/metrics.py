"""Request metrics and the `/metrics` endpoint in the Prometheus text format."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Response
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


def install_metrics(app: FastAPI, metrics: Metrics, sessions: SessionFactory) -> None:
    """Serve `/metrics` (requests are counted and timed by `api.middleware.RequestContext`)."""
    metrics.registry.register(QueueDepthCollector(sessions))

    router = APIRouter(tags=["operations"])

    @router.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
