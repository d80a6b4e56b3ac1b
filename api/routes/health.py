"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine, text

from core.db.migrate import migration_status
from core.logs import get_logger

log = get_logger(__name__)

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    """The process is up and serving."""

    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    """Whether this replica can serve traffic, and why not."""

    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    migrations: Literal["at_head", "behind", "unknown"]
    current_revision: str | None = None
    head_revision: str | None = None
    message: str | None = None


@router.get("/healthz", response_model=Liveness)
def healthz(request: Request) -> Liveness:
    """Liveness: the process answers.

    It checks nothing else, so a database outage does not make an orchestrator
    restart every replica.
    """
    return Liveness(version=request.app.version)


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and its schema is at the code's head revision."""
    engine: Engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status = migration_status(engine)
    except Exception as e:
        log.warning("readyz.database_unreachable", error=str(e))
        body = Readiness(
            status="not_ready",
            database="unreachable",
            migrations="unknown",
            message=f"database unreachable: {type(e).__name__}",
        )
        return JSONResponse(body.model_dump(), status_code=503)
    at_head = status.at_head
    body = Readiness(
        status="ready" if at_head else "not_ready",
        database="ok",
        migrations="at_head" if at_head else "behind",
        current_revision=status.current,
        head_revision=status.head,
        message=None if at_head else "database schema is behind; run `pixelview db upgrade`",
    )
    return JSONResponse(body.model_dump(), status_code=200 if at_head else 503)
