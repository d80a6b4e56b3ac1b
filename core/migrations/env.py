"""Alembic environment: runs revisions on the connection that `core.db.migrate` opened."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

config = context.config
connection = config.attributes.get("connection")
target_metadata = config.attributes.get("target_metadata")

if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; use `pixelview db upgrade`")
if not isinstance(connection, Connection):
    raise SystemExit("run migrations through `pixelview db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
