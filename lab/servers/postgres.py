"""Scratch PostgreSQL databases on an existing server, dropped after use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def admin_conninfo(admin_url: str) -> str:
    """A libpq connection string for the server's administrative database."""
    return make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_reachable(admin_url: str) -> None:
    """Connect once; raises `psycopg.OperationalError` naming why it cannot."""
    with psycopg.connect(admin_conninfo(admin_url), connect_timeout=5) as conn:
        conn.execute("SELECT 1")


@contextmanager
def scratch_database(admin_url: str, prefix: str = "pixelview_scratch") -> Iterator[str]:
    """Create an empty database `<prefix>_<random>`, yield its URL, drop it (even if in use)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = admin_conninfo(admin_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
