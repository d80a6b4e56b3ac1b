"""The FastAPI application factory."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import Engine

from api.errors import install_error_handlers
from api.live import LiveFeed
from api.metrics import install_metrics
from api.middleware import RequestContext
from api.routes import admin, health, incidents, ingest, inventory, live, paging, series, triage
from api.sessions import SessionSigner
from api.web import install_web
from connectors.prometheus.port import MetricsPort
from core.clock import Clock, SystemClock
from core.crypto import SecretBox
from core.db.engine import make_session_factory
from core.metrics import Metrics
from core.settings import Settings


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    metrics: Metrics,
    version: str,
    clock: Clock | None = None,
    metrics_source: MetricsPort | None = None,
) -> FastAPI:
    """Build the API and the web panel on an engine and metrics owned by the caller.

    The caller (the composition root or a test) creates and disposes of the
    engine, so the app holds no module-level state and several apps can live in
    one process. `metrics_source` is the metrics backend the panel's charts read
    (`/api/v1/metrics/query_range`); without one they say there is none. The
    caller stops `app.state.live_feed` when the server stops, which ends the
    live streams.
    """
    app = FastAPI(
        title="PixelView",
        version=version,
        description="An open-source AI SRE for private clouds.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.metrics = metrics
    app.state.clock = clock or SystemClock()
    app.state.secret_box = SecretBox(settings.security.secret_key.get_secret_value())
    app.state.metrics_source = metrics_source
    app.state.session_signer = SessionSigner(
        settings.security.secret_key.get_secret_value(),
        lifetime=timedelta(hours=settings.web.session_hours),
    )
    app.state.live_feed = LiveFeed(
        app.state.sessions,
        app.state.clock,
        poll_s=settings.web.live_poll_s,
        stream_s=settings.web.live_stream_s,
    )

    install_error_handlers(app)
    install_metrics(app, metrics, app.state.sessions)

    app.add_middleware(RequestContext, metrics=metrics)
    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(triage.router)  # before incidents: its `{action}` route
    app.include_router(live.router)  # before incidents: `/alerts/volume` before `/alerts/{id}`
    app.include_router(incidents.router)
    app.include_router(admin.router)
    app.include_router(paging.router)
    app.include_router(inventory.router)
    app.include_router(series.router)
    install_web(app)
    return app
