"""The worker: claims due jobs and runs the handler registered for their kind.

Later layers register handlers at the composition root (triage, deliveries,
escalation ticks, forecasts). A handler gets the claimed job; it may be a plain
function or a coroutine function. Raising `PermanentJobError` records a failure
without retrying; any other exception is retried with backoff until the job's
attempts run out. A kind may instead have a batch handler (`core/jobs/batch.py`),
which claims and finishes many of its jobs at once; on every turn each thread
gives each batch handler one batch, then claims one job of the other kinds.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, cast

from core.errors import PixelViewError
from core.jobs.batch import BatchHandler, JobBatch
from core.jobs.models import ClaimedJob
from core.jobs.queue import JobQueue
from core.logs import get_logger
from core.metrics import Metrics

Handler = Callable[[ClaimedJob], Awaitable[None] | None]

log = get_logger(__name__)


class PermanentJobError(PixelViewError):
    """The job can never succeed (bad payload, deleted target): do not retry."""

    code = "job_failed"


class HandlerRegistry:
    """Maps a job kind to the function that runs it, one job or one batch at a time."""

    def __init__(self) -> None:
        """Start empty."""
        self._handlers: dict[str, Handler] = {}
        self._batches: dict[str, tuple[BatchHandler, int]] = {}

    def register(self, kind: str, handler: Handler) -> None:
        """Register `handler` for `kind`; registering a kind twice is a bug."""
        self._check_new(kind)
        self._handlers[kind] = handler

    def register_batch(self, kind: str, handler: BatchHandler, *, size: int) -> None:
        """Register a batch handler for `kind`, given up to `size` jobs per batch."""
        if size < 1:
            raise ValueError("a batch holds at least one job")
        self._check_new(kind)
        self._batches[kind] = (handler, size)

    def _check_new(self, kind: str) -> None:
        if kind in self._handlers or kind in self._batches:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")

    def get(self, kind: str) -> Handler | None:
        """The single-job handler for `kind`, or None."""
        return self._handlers.get(kind)

    def batches(self) -> list[tuple[str, BatchHandler, int]]:
        """`(kind, handler, size)` of every batch handler, by kind."""
        return [(kind, *self._batches[kind]) for kind in sorted(self._batches)]

    def kinds(self) -> list[str]:
        """Registered kinds, sorted."""
        return sorted([*self._handlers, *self._batches])


class Worker:
    """Runs jobs on `concurrency` threads until stopped."""

    def __init__(
        self,
        queue: JobQueue,
        registry: HandlerRegistry,
        *,
        concurrency: int = 1,
        poll_interval_s: float = 1.0,
        metrics: Metrics | None = None,
        name: str | None = None,
        pollers: Sequence[Callable[[], int]] = (),
    ) -> None:
        """Prepare the worker; nothing runs until `start` or `run_once`.

        `pollers` are called on every turn of every thread (e.g. the escalation
        tick); each claims its own due rows and returns how many it handled.
        """
        self._queue = queue
        self._registry = registry
        self._concurrency = concurrency
        self._poll_interval_s = poll_interval_s
        self._metrics = metrics
        self._pollers = tuple(pollers)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def run_once(self, slot: int = 0) -> int:
        """Give each batch handler one batch, then run at most one other due job.

        Returns how many jobs ran.
        """
        worker_id = f"{self.name}:{slot}"
        ran = 0
        for kind, handler, size in self._registry.batches():
            ran += self._run_batch(JobBatch(self._queue, worker_id, kind=kind, limit=size), handler)
        batch_kinds = [kind for kind, _, _ in self._registry.batches()]
        jobs = self._queue.claim(worker_id, limit=1, exclude=batch_kinds)
        for job in jobs:
            self._run(job, worker_id)
        return ran + len(jobs)

    def _run_batch(self, batch: JobBatch, handler: BatchHandler) -> int:
        started = time.perf_counter()
        try:
            handler(batch)
        except Exception as e:  # a handler's bug must not kill the worker
            error = f"{type(e).__name__}: {e}"
            log.warning(
                "job.batch_failed",
                kind=batch.kind,
                jobs=len(batch.claimed),
                error=error,
                exc_info=True,
            )
            # Settled outcomes may not have committed: fail every job still running
            # under this worker (a job whose outcome did commit is no longer matched).
            for job in batch.claimed:
                if self._queue.fail(job, batch.worker, error):
                    retry = job.attempt < job.max_attempts
                    self._count(job.kind, "retried" if retry else "failed", started)
            return len(batch.claimed)
        for outcome in batch.outcomes:
            self._count(outcome.job.kind, outcome.label, started)
        for job in batch.lost:
            log.warning("job.lease_lost", job_id=str(job.id), kind=job.kind)
        for job in batch.unsettled():  # a handler's bug: it must settle what it claimed
            self._queue.fail(job, batch.worker, "the batch handler gave no outcome for this job")
            self._count(
                job.kind, "retried" if job.attempt < job.max_attempts else "failed", started
            )
            log.error("job.unsettled", job_id=str(job.id), kind=job.kind)
        return len(batch.claimed)

    def _run(self, job: ClaimedJob, worker_id: str) -> None:
        handler = self._registry.get(job.kind)
        started = time.perf_counter()
        if handler is None:
            self._queue.fail(
                job, worker_id, f"no handler registered for job kind {job.kind!r}", retryable=False
            )
            self._count(job.kind, "failed", started)
            log.error("job.unknown_kind", job_id=str(job.id), kind=job.kind)
            return
        try:
            result = handler(job)
            if inspect.isawaitable(result):
                asyncio.run(cast(Coroutine[Any, Any, None], result))
        except PermanentJobError as e:
            self._queue.fail(job, worker_id, e.message, retryable=False)
            self._count(job.kind, "failed", started)
            log.warning(
                "job.failed", job_id=str(job.id), kind=job.kind, error=e.message, retry=False
            )
        except Exception as e:  # a handler's bug must not kill the worker
            error = f"{type(e).__name__}: {e}"
            retry = job.attempt < job.max_attempts
            self._queue.fail(job, worker_id, error)
            self._count(job.kind, "retried" if retry else "failed", started)
            log.warning(
                "job.failed",
                job_id=str(job.id),
                kind=job.kind,
                attempt=job.attempt,
                error=error,
                retry=retry,
                exc_info=True,
            )
        else:
            if not self._queue.complete(job, worker_id):
                log.warning("job.lease_lost", job_id=str(job.id), kind=job.kind)
            self._count(job.kind, "succeeded", started)

    def _count(self, kind: str, outcome: str, started: float) -> None:
        if self._metrics is not None:
            self._metrics.jobs.labels(kind=kind, outcome=outcome).inc()
            self._metrics.job_duration.labels(kind=kind).observe(time.perf_counter() - started)

    def poll(self) -> int:
        """Run every poller once; return how many items they handled."""
        handled = 0
        for poller in self._pollers:
            try:
                handled += poller()
            except Exception:  # a poller's failure must not stop the jobs
                log.exception(
                    "worker.poller_failed",
                    worker=self.name,
                    poller=getattr(poller, "__qualname__", "?"),
                )
        return handled

    def _loop(self, slot: int) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once(slot)
            except Exception:  # the database went away; wait and try again
                log.exception("worker.claim_failed", worker=self.name, slot=slot)
                ran = 0
            ran += self.poll()
            if ran == 0:
                self._stop.wait(self._poll_interval_s)

    def start(self) -> None:
        """Start the worker threads."""
        if self._threads:
            raise RuntimeError("worker already started")
        self._stop.clear()
        for slot in range(self._concurrency):
            thread = threading.Thread(
                target=self._loop, args=(slot,), name=f"{self.name}/{slot}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        log.info(
            "worker.started",
            worker=self.name,
            concurrency=self._concurrency,
            kinds=self._registry.kinds(),
        )

    def request_stop(self) -> None:
        """Ask the threads to stop after their current job; returns at once (signal-safe)."""
        self._stop.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the threads to stop after their current job and wait for them."""
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = []
        if alive:
            log.warning("worker.stop_timeout", worker=self.name, still_running=alive)
        else:
            log.info("worker.stopped", worker=self.name)

    def wait(self) -> None:
        """Block until `request_stop` or `stop` is called (a signal handler, another thread)."""
        while not self._stop.wait(0.5):
            pass
