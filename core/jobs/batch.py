"""Batch handlers: jobs of one kind claimed, run and finished many at a time.

For work whose per-job overhead (transactions, statements, round trips) costs
more than the work itself, such as sending notifications. The worker hands a
batch handler a `JobBatch` on every turn; the handler

1. opens a transaction, `claim`s up to `limit` due jobs in it, reads what they
   need in the same transaction, and commits;
2. does the work outside any transaction;
3. opens another transaction, writes the results and `settle`s every job in it
   (completed, retried with backoff, or failed), and commits.

Jobs can be settled early too (in the claim's transaction, say, when there is
nothing to do for them). Leases and retries are those of every job: a worker
that dies mid-batch leaves its jobs to be claimed again when their leases end.
If the handler raises, the worker fails (with retry) every job of the batch
that is still running under its name, as it does for a single job's handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session

from core.jobs.models import ClaimedJob, JobOutcome
from core.jobs.queue import JobQueue

BatchHandler = Callable[["JobBatch"], None]


class JobBatch:
    """One turn of a batch handler: the jobs it claimed and how each ended."""

    def __init__(self, queue: JobQueue, worker: str, *, kind: str, limit: int) -> None:
        """A batch of at most `limit` jobs of `kind`, claimed for `worker`."""
        self._queue = queue
        self.worker = worker
        self.kind = kind
        self.limit = limit
        self.claimed: list[ClaimedJob] = []
        self.outcomes: list[JobOutcome] = []
        """Outcomes settled so far (their transactions may not have committed)."""
        self.lost: list[ClaimedJob] = []
        """Jobs whose lease had passed to another worker when they were settled."""
        self._claimed_once = False

    def claim(self, session: Session) -> list[ClaimedJob]:
        """Claim the due jobs inside the caller's transaction (the caller commits); once."""
        if self._claimed_once:
            raise RuntimeError("a batch claims its jobs once")
        self._claimed_once = True
        self.claimed = self._queue.claim_in(
            session, self.worker, kinds=[self.kind], limit=self.limit
        )
        return self.claimed

    def settle(self, session: Session, outcomes: Sequence[JobOutcome]) -> None:
        """Record how jobs of this batch ended, inside the caller's transaction (it commits).

        Raises:
            ValueError: a job is not of this batch, or was settled already.
        """
        mine = {job.id for job in self.claimed}
        seen = {o.job.id for o in self.outcomes}
        for outcome in outcomes:
            if outcome.job.id not in mine or outcome.job.id in seen:
                raise ValueError(f"job {outcome.job.id} is not an unsettled job of this batch")
            seen.add(outcome.job.id)
        if not outcomes:
            return
        self.lost += self._queue.settle(session, self.worker, outcomes)
        self.outcomes += outcomes

    def unsettled(self) -> list[ClaimedJob]:
        """Claimed jobs no outcome was given for yet."""
        settled = {o.job.id for o in self.outcomes}
        return [job for job in self.claimed if job.id not in settled]
