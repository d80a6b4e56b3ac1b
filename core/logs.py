"""Structured logging: one configuration for our loggers and the libraries' ones.

Our code logs with `get_logger(__name__).info("event.name", key=value)`. The
standard-library loggers of uvicorn, alembic and SQLAlchemy go through the same
processors, so every line on stderr has the same shape: human-readable in a
terminal (`console`) or one JSON object per line for log shippers (`json`).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog
from structlog.typing import Processor

LogFormat = Literal["console", "json"]


def configure_logging(*, level: str = "INFO", fmt: LogFormat = "console") -> None:
    """Route structlog and standard-library logging to stderr in one format."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _keep,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn installs its own handlers when given a log config; we give it none
        # and let its records propagate to the root handler above.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Alembic announces its context on every status read (each /readyz); our own
    # `database.migrated` line says what changed.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The HTTP clients of the Chroma server mode and of OpenAI-compatible endpoints log every
    # request at INFO (one line per search, per model call); failures still come through.
    for name in ("httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _keep(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Leave exceptions to the console renderer, which prints them readably."""
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structured logger named after the calling module."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
