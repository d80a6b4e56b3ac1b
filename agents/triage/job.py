"""The `incident.triage` job: run the triage graph for a queued run and keep what it found.

A run that fails (a cluster unreachable, a model error, a bug) is recorded as failed on the
run and on the incident's timeline, and the job ends: the worker goes on, and a person can ask
again. A worker that dies mid-run leaves the job leased; the next attempt runs it again.
"""

from __future__ import annotations

from agents.triage.runner import TriageOutcome, TriageRunner
from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import NotFound
from core.jobs.models import ClaimedJob
from core.jobs.worker import PermanentJobError
from core.logs import get_logger
from incidents.triage import RunUsage, fail_run, finish_run, start_run

log = get_logger(__name__)


class TriageHandler:
    """Runs `incident.triage` jobs."""

    def __init__(self, sessions: SessionFactory, clock: Clock, runner: TriageRunner) -> None:
        """Record runs through `sessions`; investigate with `runner`."""
        self._sessions, self._clock, self._runner = sessions, clock, runner

    async def __call__(self, job: ClaimedJob) -> None:
        """Run the job's triage run to its report, or record why it failed.

        Raises:
            PermanentJobError: the payload names no run, or one that already ended.
        """
        run_id = job.payload.get("run_id")
        if not isinstance(run_id, int):
            raise PermanentJobError(f"triage job {job.id} has no run_id in its payload")
        try:
            await self.run(run_id)
        except NotFound as e:
            raise PermanentJobError(e.message) from e

    async def run(self, run_id: int) -> None:
        """Run a queued run to its report, or record why it failed (NotFound: it ended)."""
        with self._sessions() as session:
            run = start_run(session, run_id, now=self._clock.now())
            incident_id = run.incident_id
            session.commit()
        try:
            outcome = await self._runner.triage(incident_id, run_id=run_id)
        except Exception as e:  # recorded on the incident; the worker must go on
            log.warning("triage.failed", run_id=run_id, incident_id=incident_id, exc_info=True)
            self._record_failure(run_id, f"{type(e).__name__}: {e}")
            return
        self._record(run_id, outcome)
        log.info(
            "triage.done",
            run_id=run_id,
            incident_id=incident_id,
            status=outcome.report.status,
            category=outcome.report.category,
            tool_calls=len(outcome.usage.tool_calls),
        )

    def _record(self, run_id: int, outcome: TriageOutcome) -> None:
        with self._sessions() as session:
            finish_run(session, run_id, outcome.report, now=self._clock.now(), usage=outcome.usage)
            session.commit()

    def _record_failure(self, run_id: int, error: str) -> None:
        with self._sessions() as session:
            fail_run(session, run_id, error, now=self._clock.now(), usage=RunUsage())
            session.commit()
