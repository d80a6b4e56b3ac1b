"""Job queue throughput: jobs per second through claim → handler → complete.

Runs a no-op handler so the figure is the queue's own cost, on SQLite (one
worker, the embedded mode) and on PostgreSQL with 1 and 3 workers (scale-out),
each on a fresh database. Prints the figures and the PostgreSQL scaling ratio.

    make bench            # or: .venv/bin/python -m bench.job_queue [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from core.clock import SystemClock
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.jobs.models import ClaimedJob, JobStatus
from core.jobs.queue import JobQueue, enqueue, queue_depth
from core.jobs.worker import HandlerRegistry, Worker
from lab.servers.postgres import scratch_database

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _noop(_job: ClaimedJob) -> None:
    return None


def drain(url: str, *, jobs: int, workers: int, concurrency: int) -> float:
    """Enqueue `jobs`, drain them with `workers` workers; return jobs per second."""
    clock = SystemClock()
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        for n in range(jobs):
            enqueue(session, kind="noop", now=clock.now(), payload={"n": n})
        session.commit()
    engines = [make_engine(url) for _ in range(workers)]
    pool = []
    for index, worker_engine in enumerate(engines):
        registry = HandlerRegistry()
        registry.register("noop", _noop)
        queue = JobQueue(make_session_factory(worker_engine), clock)
        pool.append(
            Worker(queue, registry, concurrency=concurrency, poll_interval_s=0.01, name=f"b{index}")
        )
    started = time.perf_counter()
    for worker in pool:
        worker.start()
    while True:
        with sessions() as session:
            if queue_depth(session)[JobStatus.SUCCEEDED] == jobs:
                break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    for worker in pool:
        worker.stop()
    for each in [*engines, engine]:
        each.dispose()
    return jobs / elapsed


def main() -> None:
    """Run the three configurations and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"jobs per run: {args.jobs} (no-op handler)")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = drain(
            f"sqlite:///{Path(tmp) / 'bench.db'}", jobs=args.jobs, workers=1, concurrency=1
        )
    print(f"sqlite      1 worker  x1 thread : {sqlite:8.0f} jobs/s")
    results = {}
    for workers, concurrency in ((1, 1), (3, 2)):
        with scratch_database(ADMIN_URL, prefix="pixelview_bench") as url:
            results[(workers, concurrency)] = drain(
                url, jobs=args.jobs, workers=workers, concurrency=concurrency
            )
        rate = results[(workers, concurrency)]
        label = f"{workers} worker{'s' if workers > 1 else ' '} x{concurrency} thread"
        print(f"postgresql  {label} : {rate:8.0f} jobs/s")
    print(f"ratio postgresql 3x2 / 1x1: {results[(3, 2)] / results[(1, 1)]:.2f}")


if __name__ == "__main__":
    main()
