"""Enqueue, claim, complete and fail jobs.

The database is the queue. Claiming is one `UPDATE ... WHERE id IN (SELECT ...
FOR UPDATE SKIP LOCKED) RETURNING` statement, so on PostgreSQL any number of
workers can claim concurrently and each due job goes to exactly one of them.
SQLite has no row locks; there the single in-process worker is the only claimer.
A claimed job holds a lease: if its worker dies, the job becomes claimable again
when the lease ends (at-least-once under crashes; handlers are written to be
idempotent).

`claim`, `complete` and `fail` each run a transaction of their own. `claim_in`
and `settle` work inside the caller's transaction instead, so that a batch
handler can claim jobs and read what they need in one transaction, and record
its results and finish the jobs in another (`core/jobs/batch.py`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlmodel import Session, col

from core.clock import Clock
from core.db.bulk import column_values, insert_skipping_conflicts
from core.db.engine import SessionFactory
from core.jobs.backoff import retry_delay
from core.jobs.models import ClaimedJob, Job, JobOutcome, JobStatus


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
    # ON CONFLICT DO NOTHING: one statement, where a savepoint around the insert took three.
    inserted = insert_skipping_conflicts(session, Job, [column_values(job)])
    if inserted:
        return inserted[0]
    return session.scalars(
        select(Job).where(col(Job.kind) == kind, col(Job.dedup_key) == dedup_key)
    ).one()


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

    def claim(
        self, worker: str, *, limit: int = 1, exclude: Collection[str] = ()
    ) -> list[ClaimedJob]:
        """Claim up to `limit` due jobs for `worker` and commit the claim.

        Jobs of the kinds in `exclude` are left for their batch handlers. Expired
        leases of jobs on their last attempt are failed here, in the same transaction.
        """
        now = self._clock.now()
        with self._sessions() as session:
            self._fail_exhausted_leases(session, now)
            jobs = self._claim(session, worker, now, limit=limit, kinds=None, exclude=exclude)
            session.commit()
        return jobs

    def claim_in(
        self, session: Session, worker: str, *, kinds: Collection[str], limit: int
    ) -> list[ClaimedJob]:
        """Claim up to `limit` due jobs of `kinds` inside the caller's transaction (it commits)."""
        return self._claim(session, worker, self._clock.now(), limit=limit, kinds=kinds, exclude=())

    def _claim(
        self,
        session: Session,
        worker: str,
        now: datetime,
        *,
        limit: int,
        kinds: Collection[str] | None,
        exclude: Collection[str],
    ) -> list[ClaimedJob]:
        due = (
            select(col(Job.id))
            .where(
                or_(
                    and_(col(Job.status) == JobStatus.QUEUED, col(Job.run_at) <= now),
                    and_(
                        col(Job.status) == JobStatus.RUNNING,
                        col(Job.locked_until) < now,
                        # its worker died on the last attempt: failed by the sweep, never re-run
                        col(Job.attempts) < col(Job.max_attempts),
                    ),
                )
            )
            .order_by(col(Job.run_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if kinds is not None:
            due = due.where(col(Job.kind).in_(list(kinds)))
        if exclude:
            due = due.where(col(Job.kind).not_in(list(exclude)))
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
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(claim).all()
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
        return self._settle_one(JobOutcome(job=job), worker)

    def fail(self, job: ClaimedJob, worker: str, error: str, *, retryable: bool = True) -> bool:
        """Record a failure: queue a retry with backoff, or give up after the last attempt."""
        return self._settle_one(JobOutcome(job=job, error=error, retryable=retryable), worker)

    def _settle_one(self, outcome: JobOutcome, worker: str) -> bool:
        with self._sessions() as session:
            lost = self.settle(session, worker, [outcome])
            session.commit()
        return not lost

    def settle(
        self, session: Session, worker: str, outcomes: Sequence[JobOutcome]
    ) -> list[ClaimedJob]:
        """Record outcomes inside the caller's transaction (it commits).

        Successes are completed in one statement; each failure is queued for a
        retry with backoff, or failed after its last attempt (or at once when not
        retryable). Returns the jobs whose lease was lost: another worker holds
        them now, and they were left as they are.
        """
        now = self._clock.now()
        done = [o.job for o in outcomes if o.error is None]
        lost: list[ClaimedJob] = []
        if done:
            finished = set(
                session.scalars(
                    update(Job)
                    .where(
                        tuple_(col(Job.id), col(Job.attempts)).in_(
                            [(j.id, j.attempt) for j in done]
                        ),
                        col(Job.locked_by) == worker,
                        col(Job.status) == JobStatus.RUNNING,
                    )
                    .values(
                        **self._released(now) | {"status": JobStatus.SUCCEEDED, "finished_at": now}
                    )
                    .returning(col(Job.id))
                    .execution_options(synchronize_session=False)
                )
            )
            lost += [j for j in done if j.id not in finished]
        for outcome in outcomes:
            if outcome.error is not None and not self._record_failure(
                session, outcome, worker, now
            ):
                lost.append(outcome.job)
        return lost

    def _record_failure(
        self, session: Session, outcome: JobOutcome, worker: str, now: datetime
    ) -> bool:
        job = outcome.job
        values = self._released(now) | {"last_error": outcome.error}
        if outcome.retryable and job.attempt < job.max_attempts:
            delay = retry_delay(
                job.attempt,
                base_s=self._policy.backoff_base_s,
                max_s=self._policy.backoff_max_s,
                jitter=self._rng.random(),
            )
            values |= {"status": JobStatus.QUEUED, "run_at": now + delay}
        else:
            values |= {"status": JobStatus.FAILED, "finished_at": now}
        result = session.execute(
            update(Job)
            .where(
                col(Job.id) == job.id,
                col(Job.locked_by) == worker,
                col(Job.status) == JobStatus.RUNNING,
                col(Job.attempts) == job.attempt,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    def _released(now: datetime) -> dict[str, Any]:
        return {
            "last_error": None,
            "locked_by": None,
            "locked_until": None,
            "finished_at": None,
            "updated_at": now,
        }


def queue_depth(session: Session) -> dict[str, int]:
    """Number of jobs per status (every status present, zero when none)."""
    rows = session.execute(select(col(Job.status), func.count()).group_by(Job.status)).all()
    depth = {status.value: 0 for status in JobStatus}
    depth.update({str(status): int(count) for status, count in rows})
    return depth


def get_job(session: Session, job_id: uuid.UUID) -> Job | None:
    """The job with this id, or None."""
    return session.get(Job, job_id)
