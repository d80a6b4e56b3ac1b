"""The container: builds the real objects from settings, once, at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from core.clock import Clock, SystemClock
from core.db.engine import SessionFactory, is_sqlite, make_engine, make_session_factory
from core.db.migrate import MigrationStatus, migration_status, upgrade
from core.errors import ConfigError, Unavailable
from core.jobs.queue import JobQueue, RetryPolicy
from core.jobs.worker import HandlerRegistry, Worker
from core.logs import get_logger
from core.metrics import Metrics
from core.settings import Settings
from pixelview import __version__

log = get_logger(__name__)


@dataclass
class Container:
    """Everything a PixelView process runs on, built from one `Settings`."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    metrics: Metrics
    handlers: HandlerRegistry = field(default_factory=HandlerRegistry)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> Container:
        """Create the engine and shared objects; nothing connects yet."""
        engine = make_engine(
            settings.database_url(),
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            clock=clock or SystemClock(),
            metrics=Metrics(__version__),
        )

    @property
    def is_sqlite(self) -> bool:
        """True in the embedded mode (one writer, one worker)."""
        return is_sqlite(self.engine)

    def describe_database(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade_database(self) -> MigrationStatus:
        """Bring the schema to head, turning connection failures into one clear error."""
        try:
            before = migration_status(self.engine).current
            status = upgrade(self.engine)
        except OperationalError as e:
            raise Unavailable(
                f"cannot reach the database at {self.describe_database()}: {e.orig}"
            ) from e
        if before != status.current:
            log.info(
                "database.migrated",
                url=self.describe_database(),
                before=before,
                after=status.current,
            )
        return status

    def worker(self, *, concurrency: int | None = None) -> Worker:
        """A worker over this container's queue and handlers.

        Raises:
            ConfigError: asked for more than one concurrent job on SQLite.
        """
        wanted = concurrency or self.settings.worker.concurrency
        if self.is_sqlite:
            if concurrency is not None and concurrency > 1:
                raise ConfigError(
                    "worker.concurrency > 1 needs PostgreSQL; SQLite runs one job at a time"
                )
            wanted = 1
        policy = RetryPolicy(
            lease=timedelta(seconds=self.settings.worker.lease_s),
            backoff_base_s=self.settings.worker.backoff_base_s,
            backoff_max_s=self.settings.worker.backoff_max_s,
        )
        queue = JobQueue(self.sessions, self.clock, policy)
        return Worker(
            queue,
            self.handlers,
            concurrency=wanted,
            poll_interval_s=self.settings.worker.poll_interval_s,
            metrics=self.metrics,
        )

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()
