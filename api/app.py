"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from agents.chat import ChatRunner
from api.errors import install_error_handlers
from api.live import LiveFeed
from api.metrics import install_metrics
from api.middleware import RequestContext
from api.routes import (
    admin,
    health,
    incidents,
    ingest,
    inventory,
    live,
    paging,
    runbooks,
    series,
    triage,
)
from api.routes import chat as chat_routes
from api.sessions import SessionSigner
from api.slack.bot import SlackBot
from api.slack.chat import SlackChat
from api.slack.chat_runner import RunnerChat
from api.slack.http import mount_events
from api.web import install_web
from connectors.prometheus.port import MetricsPort
from core.clock import Clock, SystemClock
from core.crypto import SecretBox
from core.db.engine import make_session_factory
from core.metrics import Metrics
from core.settings import Settings
from memory.port import MemoryStore


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    metrics: Metrics,
    version: str,
    clock: Clock | None = None,
    memory: MemoryStore | None = None,
    runbooks_dir: Path | None = None,
    chat: ChatRunner | None = None,
    slack_chat: SlackChat | None = None,
    metrics_source: MetricsPort | None = None,
) -> FastAPI:
    """Build the API and the web panel on an engine and metrics owned by the caller.

    The caller (the composition root or a test) creates and disposes of the
    engine, so the app holds no module-level state and several apps can live in
    one process. Without `memory` the runbook endpoints answer 503; `runbooks_dir` is the
    folder `POST /api/v1/runbooks/reload` loads. `chat` answers the chat endpoints; without it
    they answer 503. With `slack.mode` on, the Slack bot comes with the app (`POST
    /slack/events` in `http` mode; a Socket Mode connection while the app runs in `socket`
    mode), its mentions, DMs and `ask` answered by `slack_chat`, else by `chat`.
    `metrics_source` is the metrics backend the panel's charts read
    (`/api/v1/metrics/query_range`); without one they say there is none. The
    caller stops `app.state.live_feed` when the server stops, which ends the
    live streams.
    """
    sessions = make_session_factory(engine)
    clock = clock or SystemClock()
    bot = (
        SlackBot(
            settings.slack,
            sessions=sessions,
            clock=clock,
            public_url=settings.notify.public_url,
            chat=slack_chat or (RunnerChat(chat) if chat is not None else None),
        )
        if settings.slack.mode != "off"
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if bot is None:
            yield
            return
        async with bot.running():
            yield

    app = FastAPI(
        title="PixelView",
        version=version,
        description="An open-source AI SRE for private clouds.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.metrics = metrics
    app.state.clock = clock
    app.state.slack = bot
    app.state.memory = memory
    app.state.runbooks_dir = runbooks_dir
    app.state.secret_box = SecretBox(settings.security.secret_key.get_secret_value())
    app.state.chat = chat
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
    app.include_router(runbooks.router)
    app.include_router(chat_routes.router)
    app.include_router(series.router)
    if bot is not None and bot.mode == "http":
        mount_events(app, bot)
    install_web(app)
    return app
