"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from agents.chat import ChatRunner
from api.errors import install_error_handlers
from api.metrics import install_metrics
from api.middleware import RequestContext
from api.routes import admin, health, incidents, ingest, inventory, paging, triage
from api.routes import chat as chat_routes
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
    chat: ChatRunner | None = None,
) -> FastAPI:
    """Build the API on an engine and metrics owned by the caller.

    The caller (the composition root or a test) creates and disposes of the
    engine, so the app holds no module-level state and several apps can live in
    one process. `chat` answers the chat endpoints; without it they answer 503.
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
    app.state.chat = chat

    install_error_handlers(app)
    install_metrics(app, metrics, app.state.sessions)

    app.add_middleware(RequestContext, metrics=metrics)
    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(triage.router)  # before incidents: its `{action}` route
    app.include_router(incidents.router)
    app.include_router(admin.router)
    app.include_router(paging.router)
    app.include_router(inventory.router)
    app.include_router(chat_routes.router)
    return app
