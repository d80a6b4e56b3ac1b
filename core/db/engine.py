"""Engine and session factories for SQLite (embedded) and PostgreSQL (scale-out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from core.errors import ConfigError

SessionFactory = sessionmaker[Session]

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def parse_database_url(url: str) -> URL:
    """Parse and normalize a database URL; PostgreSQL always uses psycopg 3.

    Raises:
        ConfigError: the URL is malformed or names an unsupported database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"database.url {url!r} is not a database URL: {e}") from e
    if parsed.drivername in _DRIVERS:
        parsed = parsed.set(drivername=_DRIVERS[parsed.drivername])
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"database.url uses {backend!r}; PixelView supports sqlite and postgresql"
        )
    return parsed


def is_sqlite(engine_or_url: Engine | URL) -> bool:
    """True when the database is SQLite (one writer, one worker)."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else engine_or_url
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> Engine:
    """Build an engine; for SQLite, create the folder and set safe pragmas."""
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if is_sqlite(parsed):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    engine = create_engine(parsed, **kwargs)
    if is_sqlite(parsed):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    else:
        event.listen(engine, "connect", _postgresql_session)
    return engine


def _postgresql_session(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement on the server after a few executions, and
    # PostgreSQL may then cache one generic plan for it. A plan made while a
    # table was small (a new install, or statistics never refreshed because
    # autovacuum is off) is a sequential scan that it keeps as the table grows:
    # ingestion's lock of open alerts by fingerprint went from 0.2 to 110 ms
    # over 60,000 alerts that way. Custom plans use the actual values and the
    # table's current size every time, for about 0.1 ms of planning.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while the worker writes; busy_timeout makes a second
    # writer wait instead of failing at once; SQLite ignores foreign keys unless told.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails with "database is
    # locked" when another writer committed in between (a WAL snapshot cannot be
    # upgraded). Taking the write lock at BEGIN makes transactions queue (up to
    # busy_timeout) instead. SQLite has one writer anyway; this is the embedded
    # mode's price, and why scale-out uses PostgreSQL.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)
