"""Enqueue, claim, complete and fail jobs.

The database is the queue. Claiming is one `UPDATE ... WHERE id IN (SELECT ...
FOR UPDATE SKIP LOCKED) RETURNING` statement, so on PostgreSQL any number of
workers can claim concurrently and each due job goes to exactly one of them.
SQLite has no row locks; there the single in-process worker is the only claimer.
A claimed job holds a lease: if its worker dies, the job becomes claimable again
when the lease ends (at-least-once under crashes; handlers are written to be
idempotent).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core.clock import Clock
from core.db.engine import SessionFactory
from core.jobs.backoff import retry_delay
from core.jobs.models import ClaimedJob, Job, JobStatus


def enqueue(
    session: Session,
    *,
    kind: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    run_at: datetime | None = None,
    dedup_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job inside the caller's transaction (the caller commits).

    With a `dedup_key`, enqueueing the same kind and key again returns the job
    already there instead of adding a second one.
    """
    job = Job(
        kind=kind,
        payload=payload or {},
        dedup_key=dedup_key,
        run_at=run_at or now,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
    )
    if dedup_key is None:
        session.add(job)
        session.flush()
        return job
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        existing = session.scalars(
            select(Job).where(col(Job.kind) == kind, col(Job.dedup_key) == dedup_key)
        ).first()
        if existing is None:
            raise
        return existing
    return job


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long a claim lasts and how retries are spaced."""

    lease: timedelta = timedelta(minutes=15)
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0


class JobQueue:
    """The worker's side of the queue: claim, then complete or fail."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Work through `sessions`, with time from `clock`."""
        self._sessions = sessions
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    def claim(self, worker: str, *, limit: int = 1) -> list[ClaimedJob]:
        """Claim up to `limit` due jobs for `worker` and commit the claim."""
        now = self._clock.now()
        with self._sessions() as session:
            self._fail_exhausted_leases(session, now)
            due = (
                select(col(Job.id))
                .where(
                    or_(
                        and_(col(Job.status) == JobStatus.QUEUED, col(Job.run_at) <= now),
                        and_(col(Job.status) == JobStatus.RUNNING, col(Job.locked_until) < now),
                    )
                )
                .order_by(col(Job.run_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claim = (
                update(Job)
                .where(col(Job.id).in_(due.scalar_subquery()))
                .values(
                    status=JobStatus.RUNNING,
                    attempts=col(Job.attempts) + 1,
                    locked_by=worker,
                    locked_until=now + self._policy.lease,
                    updated_at=now,
                )
                .returning(
                    col(Job.id),
                    col(Job.kind),
                    col(Job.payload),
                    col(Job.attempts),
                    col(Job.max_attempts),
                )
            )
            rows = session.execute(claim).all()
            session.commit()
        return [
            ClaimedJob(id=r[0], kind=r[1], payload=r[2], attempt=r[3], max_attempts=r[4])
            for r in rows
        ]

    def _fail_exhausted_leases(self, session: Session, now: datetime) -> None:
        # A job whose worker died on its last attempt must not run a further time.
        session.execute(
            update(Job)
            .where(
                col(Job.status) == JobStatus.RUNNING,
                col(Job.locked_until) < now,
                col(Job.attempts) >= col(Job.max_attempts),
            )
            .values(
                status=JobStatus.FAILED,
                last_error="lease expired on the last attempt (the worker stopped mid-job)",
                locked_by=None,
                locked_until=None,
                finished_at=now,
                updated_at=now,
            )
        )

    def complete(self, job: ClaimedJob, worker: str) -> bool:
        """Record success; False when the lease was lost to another worker."""
        now = self._clock.now()
        return self._finish(
            job,
            worker,
            status=JobStatus.SUCCEEDED,
            last_error=None,
            finished_at=now,
            run_at=None,
            now=now,
        )

    def fail(self, job: ClaimedJob, worker: str, error: str, *, retryable: bool = True) -> bool:
        """Record a failure: queue a retry with backoff, or give up after the last attempt."""
        now = self._clock.now()
        if retryable and job.attempt < job.max_attempts:
            delay = retry_delay(
                job.attempt,
                base_s=self._policy.backoff_base_s,
                max_s=self._policy.backoff_max_s,
                jitter=self._rng.random(),
            )
            return self._finish(
                job,
                worker,
                status=JobStatus.QUEUED,
                last_error=error,
                finished_at=None,
                run_at=now + delay,
                now=now,
            )
        return self._finish(
            job,
            worker,
            status=JobStatus.FAILED,
            last_error=error,
            finished_at=now,
            run_at=None,
            now=now,
        )

    def _finish(
        self,
        job: ClaimedJob,
        worker: str,
        *,
        status: JobStatus,
        last_error: str | None,
        finished_at: datetime | None,
        run_at: datetime | None,
        now: datetime,
    ) -> bool:
        values: dict[str, Any] = {
            "status": status,
            "last_error": last_error,
            "locked_by": None,
            "locked_until": None,
            "finished_at": finished_at,
            "updated_at": now,
        }
        if run_at is not None:
            values["run_at"] = run_at
        with self._sessions() as session:
            result = session.execute(
                update(Job)
                .where(
                    col(Job.id) == job.id,
                    col(Job.locked_by) == worker,
                    col(Job.status) == JobStatus.RUNNING,
                    col(Job.attempts) == job.attempt,
                )
                .values(**values)
            )
            session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


def queue_depth(session: Session) -> dict[str, int]:
    """Number of jobs per status (every status present, zero when none)."""
    rows = session.execute(select(col(Job.status), func.count()).group_by(Job.status)).all()
    depth = {status.value: 0 for status in JobStatus}
    depth.update({str(status): int(count) for status, count in rows})
    return depth


def get_job(session: Session, job_id: uuid.UUID) -> Job | None:
    """The job with this id, or None."""
    return session.get(Job, job_id)
