"""Three workers drain 1,000 jobs from PostgreSQL, one or a batch at a time: each runs once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from core.clock import SystemClock
from core.db.engine import SessionFactory, make_engine, make_session_factory
from core.db.migrate import upgrade
from core.jobs.batch import BatchHandler, JobBatch
from core.jobs.models import ClaimedJob, JobOutcome, JobStatus
from core.jobs.queue import JobQueue, enqueue, queue_depth
from core.jobs.worker import HandlerRegistry, Worker

JOBS = 1_000
WORKERS = 3


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_three_workers_run_each_of_1000_jobs_exactly_once(
    postgres_url: str, pg_engine: Engine
) -> None:
    clock = SystemClock()
    sessions = make_session_factory(pg_engine)
    with sessions() as session:
        expected = {
            enqueue(session, kind="count", now=clock.now(), payload={"n": n}).id
            for n in range(JOBS)
        }
        session.commit()

    runs: list[tuple[object, str]] = []
    lock = threading.Lock()

    def record(job: ClaimedJob) -> None:
        time.sleep(0.001)  # widen the window in which a double claim would show
        with lock:
            runs.append((job.id, threading.current_thread().name))

    # Each worker has its own engine, so its claims use their own connections,
    # as separate `pixelview worker` processes would.
    engines = [make_engine(postgres_url) for _ in range(WORKERS)]
    workers = []
    for index, engine in enumerate(engines):
        registry = HandlerRegistry()
        registry.register("count", record)
        queue = JobQueue(make_session_factory(engine), clock)
        workers.append(
            Worker(queue, registry, concurrency=2, poll_interval_s=0.05, name=f"worker{index}")
        )
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with sessions() as session:
                depth = queue_depth(session)
            if depth[JobStatus.SUCCEEDED] == JOBS:
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.stop()
        for engine in engines:
            engine.dispose()

    counts = Counter(job_id for job_id, _ in runs)
    assert set(counts) == expected
    assert max(counts.values()) == 1, [job for job, n in counts.items() if n > 1][:5]
    assert len(runs) == JOBS
    with sessions() as session:
        assert queue_depth(session) == {"queued": 0, "running": 0, "succeeded": JOBS, "failed": 0}
    # the work really was shared: every worker thread ran some of it
    assert len({thread for _, thread in runs}) == WORKERS * 2


@pytest.mark.slow
def test_three_workers_claiming_batches_run_each_of_1000_jobs_exactly_once(
    postgres_url: str, pg_engine: Engine
) -> None:
    clock = SystemClock()
    sessions = make_session_factory(pg_engine)
    with sessions() as session:
        expected = {
            enqueue(session, kind="count", now=clock.now(), payload={"n": n}).id
            for n in range(JOBS)
        }
        session.commit()

    runs: list[tuple[object, str]] = []
    batch_sizes: list[int] = []
    lock = threading.Lock()

    def make_handler(worker_sessions: SessionFactory) -> BatchHandler:
        def run(batch: JobBatch) -> None:
            with worker_sessions() as session:
                claimed = batch.claim(session)
                session.commit()
            time.sleep(0.002)  # widen the window in which a double claim would show
            with lock:
                batch_sizes.append(len(claimed))
                runs.extend((job.id, threading.current_thread().name) for job in claimed)
            with worker_sessions() as session:
                batch.settle(session, [JobOutcome(job=job) for job in claimed])
                session.commit()

        return run

    engines = [make_engine(postgres_url) for _ in range(WORKERS)]
    workers = []
    for index, engine in enumerate(engines):
        worker_sessions = make_session_factory(engine)
        registry = HandlerRegistry()
        registry.register_batch("count", make_handler(worker_sessions), size=20)
        queue = JobQueue(worker_sessions, clock)
        workers.append(
            Worker(queue, registry, concurrency=2, poll_interval_s=0.05, name=f"worker{index}")
        )
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with sessions() as session:
                depth = queue_depth(session)
            if depth[JobStatus.SUCCEEDED] == JOBS:
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.stop()
        for engine in engines:
            engine.dispose()

    counts = Counter(job_id for job_id, _ in runs)
    assert set(counts) == expected
    assert max(counts.values()) == 1, [job for job, n in counts.items() if n > 1][:5]
    assert len(runs) == JOBS
    assert max(batch_sizes) == 20  # batches really were claimed whole
    with sessions() as session:
        assert queue_depth(session) == {"queued": 0, "running": 0, "succeeded": JOBS, "failed": 0}
    assert len({thread for _, thread in runs}) == WORKERS * 2
