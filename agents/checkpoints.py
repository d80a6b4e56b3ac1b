"""LangGraph checkpoints in PixelView's own database, SQLite or PostgreSQL.

Every graph run (a triage, a conversation) is a LangGraph thread whose state is saved after each
step, so a run can be inspected, resumed after a crash, or continued (a chat). The tables are
LangGraph's own (`checkpoints`, `checkpoint_writes`, `checkpoint_blobs`, `checkpoint_migrations`),
created and migrated by its `setup()` beside PixelView's; Alembic does not manage them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from sqlalchemy.engine import make_url

from core.errors import ConfigError


def checkpoint_dsn(database_url: str) -> tuple[str, str]:
    """`(backend, connection string)` for the LangGraph saver of a SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return "sqlite", url.database or ":memory:"
    if url.get_backend_name() == "postgresql":
        return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    raise ConfigError(f"graph checkpoints need SQLite or PostgreSQL, not {url.get_backend_name()}")


@asynccontextmanager
async def open_checkpointer(database_url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """A saver on the database, its tables set up, open for the block."""
    backend, dsn = checkpoint_dsn(database_url)
    if backend == "sqlite":
        async with AsyncSqliteSaver.from_conn_string(dsn) as sqlite_saver:
            await sqlite_saver.setup()
            yield sqlite_saver
        return
    async with AsyncPostgresSaver.from_conn_string(dsn) as postgres_saver:
        await postgres_saver.setup()
        yield postgres_saver
