"""Finished jobs are deleted after their retention, on both databases; nothing else is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import col

from core.clock import ManualClock
from core.db.engine import SessionFactory, make_session_factory
from core.jobs.models import Job, JobStatus
from core.jobs.queue import JobQueue, enqueue, get_job
from core.jobs.retention import JobRetention
from core.jobs.worker import HandlerRegistry, Worker
from core.settings import DatabaseSettings, Settings, WorkerSettings
from pixelview.container import Container

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)


def job(
    sessions: SessionFactory, status: JobStatus, finished_ago: timedelta | None, key: str
) -> Job:
    """A job in `status`, finished `finished_ago` before NOW (None: not finished)."""
    with sessions() as session:
        added = enqueue(session, kind="echo", now=NOW - 100 * DAY, dedup_key=key)
        finished = None if finished_ago is None else NOW - finished_ago
        session.execute(
            update(Job)
            .where(col(Job.id) == added.id)
            .values(status=status, finished_at=finished)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return added


def still_there(sessions: SessionFactory, *jobs: Job) -> list[bool]:
    with sessions() as session:
        return [get_job(session, j.id) is not None for j in jobs]


def retention(sessions: SessionFactory, clock: ManualClock, batch: int = 1000) -> JobRetention:
    return JobRetention(sessions, clock, succeeded=14 * DAY, failed=90 * DAY, batch=batch)


def test_only_jobs_finished_before_their_retention_go(sessions: SessionFactory) -> None:
    clock = ManualClock(NOW)
    old_success = job(sessions, JobStatus.SUCCEEDED, 15 * DAY, "a")
    recent_success = job(sessions, JobStatus.SUCCEEDED, 13 * DAY, "b")
    failed_month_ago = job(sessions, JobStatus.FAILED, 30 * DAY, "c")
    old_failure = job(sessions, JobStatus.FAILED, 91 * DAY, "d")
    queued = job(sessions, JobStatus.QUEUED, None, "e")  # enqueued 100 days ago, never run
    running = job(sessions, JobStatus.RUNNING, None, "f")
    worker = Worker(
        JobQueue(sessions, clock), HandlerRegistry(), pollers=[retention(sessions, clock).tick]
    )

    assert worker.poll() == 2
    assert still_there(
        sessions, old_success, recent_success, failed_month_ago, old_failure, queued, running
    ) == [False, True, True, False, True, True]


def test_it_looks_once_per_interval_and_goes_on_while_batches_come_back_full(
    sessions: SessionFactory,
) -> None:
    clock = ManualClock(NOW)
    old = [job(sessions, JobStatus.SUCCEEDED, 20 * DAY, f"old-{n}") for n in range(7)]
    purge = retention(sessions, clock, batch=3)
    assert [purge.tick(), purge.tick(), purge.tick(), purge.tick()] == [3, 3, 1, 0]
    assert still_there(sessions, *old) == [False] * 7

    later = job(sessions, JobStatus.SUCCEEDED, 20 * DAY, "later")
    clock.advance(timedelta(minutes=9))
    assert purge.tick() == 0  # not looked for 10 minutes yet
    clock.advance(timedelta(minutes=1))
    assert purge.tick() == 1
    assert still_there(sessions, later) == [False]


def test_a_purged_jobs_dedup_key_can_be_used_again(sessions: SessionFactory) -> None:
    gone = job(sessions, JobStatus.SUCCEEDED, 20 * DAY, "triage-run:7")
    assert retention(sessions, ManualClock(NOW)).tick() == 1
    with sessions() as session:
        again = enqueue(session, kind="echo", now=NOW, dedup_key="triage-run:7")
        session.commit()
        assert again.id != gone.id and again.status == JobStatus.QUEUED


def test_the_composition_roots_worker_purges_as_the_settings_say(tmp_path: Path) -> None:
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'pv.db'}"),
        worker=WorkerSettings(succeeded_retention_days=2, failed_retention_days=5),
    )
    container = Container.build(settings)
    try:
        container.upgrade_database()
        now = container.clock.now()
        ages = {"s1": 1, "s3": 3, "f3": 3, "f6": 6}
        jobs = [
            job(
                container.sessions,
                JobStatus.SUCCEEDED if key[0] == "s" else JobStatus.FAILED,
                NOW - now + days * DAY,  # finished `days` before the container's now
                key,
            )
            for key, days in ages.items()
        ]
        assert container.worker().poll() == 2
        assert still_there(container.sessions, *jobs) == [True, False, True, False]
    finally:
        container.close()
