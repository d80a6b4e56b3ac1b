"""Finished jobs are deleted once they are old: the `jobs` table holds work, not history.

Succeeded jobs go after `worker.succeeded_retention_days`, failed ones (kept longer, to be
looked into) after `worker.failed_retention_days`. What a job did is recorded where it
belongs (an incident's timeline, a delivery, a triage run, the audit log), so the job row
itself is only needed while it runs and for a while after. A dedup key lives as long as its
row: every key in use names something unique (a run, a delivery, an inventory slot), so a
deleted one is never asked for again.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session, col

from core.clock import Clock
from core.db.engine import SessionFactory
from core.jobs.models import Job, JobStatus
from core.logs import get_logger

log = get_logger(__name__)


def purge_finished(session: Session, *, status: JobStatus, before: datetime, limit: int) -> int:
    """Delete up to `limit` jobs of `status` that finished before `before`; how many went."""
    old = (
        select(col(Job.id))
        .where(col(Job.status) == status, col(Job.finished_at) < before)
        .order_by(col(Job.finished_at))
        .limit(limit)
    )
    ids = list(session.execute(old).scalars())
    if ids:
        session.execute(delete(Job).where(col(Job.id).in_(ids)))
    return len(ids)


class JobRetention:
    """A worker poller that deletes finished jobs past their retention, in batches.

    It looks at most once per `every` in each process; while a batch comes back full it
    goes on at the worker's next turn. Several workers purging at once delete each row once.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        succeeded: timedelta,
        failed: timedelta,
        every: timedelta = timedelta(minutes=10),
        batch: int = 1000,
    ) -> None:
        """Keep succeeded jobs for `succeeded` and failed ones for `failed` after they end."""
        self._sessions = sessions
        self._clock = clock
        self._keep = {JobStatus.SUCCEEDED: succeeded, JobStatus.FAILED: failed}
        self._every = every
        self._batch = batch
        self._next: datetime | None = None
        self._lock = threading.Lock()

    def tick(self) -> int:
        """Delete one batch of each status when due; return how many jobs went."""
        now = self._clock.now()
        with self._lock:  # the worker's threads share one poller
            if self._next is not None and now < self._next:
                return 0
            deleted: dict[str, int] = {}
            with self._sessions() as session:
                for status, keep in self._keep.items():
                    deleted[status.value] = purge_finished(
                        session, status=status, before=now - keep, limit=self._batch
                    )
                session.commit()
            more = any(count == self._batch for count in deleted.values())
            self._next = now if more else now + self._every
        if any(deleted.values()):
            log.info("jobs.purged", **deleted)
        return sum(deleted.values())
