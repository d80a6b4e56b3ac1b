"""Prometheus metrics of one PixelView process.

Each process builds one `Metrics` with its own registry (never the global
one), so tests and several apps in one process do not collide.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, Info


class Metrics:
    """The metric families the API and the worker update."""

    def __init__(self, version: str) -> None:
        """Create the families in a fresh registry."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.build_info = Info(
            "pixelview_build", "PixelView build information", registry=self.registry
        )
        self.build_info.info({"version": version})
        self.http_requests = Counter(
            "pixelview_http_requests",
            "HTTP requests served, by route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "pixelview_http_request_duration_seconds",
            "Time to serve an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )
        self.alerts_ingested = Counter(
            "pixelview_alerts_ingested",
            "Alerts received on integration webhooks, by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.alert_rejections = Counter(
            "pixelview_alert_rejections",
            "Webhook deliveries refused (4xx) by source; the bodies are kept per integration",
            ["source"],
            registry=self.registry,
        )
        self.jobs = Counter(
            "pixelview_jobs_processed",
            "Jobs run by this process's workers, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "pixelview_job_duration_seconds",
            "Time a job handler ran",
            ["kind"],
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900),
        )
