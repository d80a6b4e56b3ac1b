"""The job queue on both databases: claim, complete, retry with backoff, fail, leases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from core.clock import ManualClock
from core.db.engine import SessionFactory, make_session_factory
from core.jobs.batch import JobBatch
from core.jobs.models import ClaimedJob, Job, JobOutcome, JobStatus
from core.jobs.queue import JobQueue, RetryPolicy, enqueue, get_job, queue_depth
from core.jobs.worker import HandlerRegistry, PermanentJobError, Worker
from core.metrics import Metrics

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(lease=timedelta(minutes=5), backoff_base_s=10, backoff_max_s=60)


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def queue(sessions: SessionFactory, clock: ManualClock) -> JobQueue:
    return JobQueue(sessions, clock, POLICY, rng=random.Random(7))


def add(sessions: SessionFactory, clock: ManualClock, kind: str = "echo", **kwargs: object) -> Job:
    with sessions() as session:
        job = enqueue(session, kind=kind, now=clock.now(), **kwargs)  # type: ignore[arg-type]
        session.commit()
        return job


def load(sessions: SessionFactory, job: Job | ClaimedJob) -> Job:
    with sessions() as session:
        found = get_job(session, job.id)
        assert found is not None
        return found


def test_claim_run_complete(sessions: SessionFactory, clock: ManualClock, queue: JobQueue) -> None:
    job = add(sessions, clock, payload={"incident": 42})
    registry = HandlerRegistry()
    seen: list[ClaimedJob] = []
    registry.register("echo", seen.append)
    metrics = Metrics("test")
    worker = Worker(queue, registry, name="w", metrics=metrics)

    assert worker.run_once() == 1
    assert worker.run_once() == 0  # nothing else is due

    assert [(j.id, j.payload, j.attempt) for j in seen] == [(job.id, {"incident": 42}, 1)]
    stored = load(sessions, job)
    assert stored.status == JobStatus.SUCCEEDED
    assert stored.finished_at == T0 and stored.locked_by is None
    assert metrics.jobs.labels(kind="echo", outcome="succeeded")._value.get() == 1


def test_jobs_wait_for_run_at(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    add(sessions, clock, run_at=T0 + timedelta(minutes=10))
    assert queue.claim("w") == []
    clock.advance(timedelta(minutes=10))
    assert len(queue.claim("w")) == 1


def test_failures_retry_with_backoff_then_fail(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    job = add(sessions, clock, kind="flaky", max_attempts=3)
    registry = HandlerRegistry()

    def flaky(_job: ClaimedJob) -> None:
        raise RuntimeError("backend timed out")

    registry.register("flaky", flaky)
    worker = Worker(queue, registry, name="w")

    delays = []
    for attempt in (1, 2):
        assert worker.run_once() == 1
        stored = load(sessions, job)
        assert stored.status == JobStatus.QUEUED and stored.attempts == attempt
        assert stored.last_error == "RuntimeError: backend timed out"
        delay = stored.run_at - clock.now()
        delays.append(delay)
        assert worker.run_once() == 0  # not before its backoff
        clock.set(stored.run_at)
    # equal jitter: between half and all of 10s, then of 20s
    assert timedelta(seconds=5) <= delays[0] <= timedelta(seconds=10)
    assert timedelta(seconds=10) <= delays[1] <= timedelta(seconds=20)

    assert worker.run_once() == 1
    stored = load(sessions, job)
    assert stored.status == JobStatus.FAILED and stored.attempts == 3
    assert stored.finished_at == clock.now()
    clock.advance(timedelta(days=1))
    assert worker.run_once() == 0  # failed jobs stay failed


def test_permanent_error_and_unknown_kind_do_not_retry(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    bad = add(sessions, clock, kind="strict")
    orphan = add(sessions, clock, kind="nobody-handles-this")
    registry = HandlerRegistry()

    def strict(_job: ClaimedJob) -> None:
        raise PermanentJobError("incident 7 no longer exists")

    registry.register("strict", strict)
    worker = Worker(queue, registry, name="w")
    assert worker.run_once() + worker.run_once() == 2

    assert load(sessions, bad).status == JobStatus.FAILED
    assert load(sessions, bad).last_error == "incident 7 no longer exists"
    assert load(sessions, orphan).status == JobStatus.FAILED
    assert "no handler registered for job kind 'nobody-handles-this'" in (
        load(sessions, orphan).last_error or ""
    )


def test_async_handlers_run(sessions: SessionFactory, clock: ManualClock, queue: JobQueue) -> None:
    job = add(sessions, clock, kind="async")
    done: list[str] = []

    async def handler(claimed: ClaimedJob) -> None:
        done.append(str(claimed.id))

    registry = HandlerRegistry()
    registry.register("async", handler)
    assert Worker(queue, registry, name="w").run_once() == 1
    assert done == [str(job.id)]
    assert load(sessions, job).status == JobStatus.SUCCEEDED


def test_registering_a_kind_twice_is_refused() -> None:
    registry = HandlerRegistry()
    registry.register("x", lambda _job: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("x", lambda _job: None)


def test_dedup_key_makes_enqueue_idempotent(sessions: SessionFactory, clock: ManualClock) -> None:
    first = add(sessions, clock, kind="triage", dedup_key="incident:42")
    second = add(sessions, clock, kind="triage", dedup_key="incident:42")
    other = add(sessions, clock, kind="triage", dedup_key="incident:43")
    assert first.id == second.id != other.id
    with sessions() as session:
        assert queue_depth(session)[JobStatus.QUEUED] == 2


def test_enqueue_is_part_of_the_callers_transaction(
    sessions: SessionFactory, clock: ManualClock
) -> None:
    with sessions() as session:
        enqueue(session, kind="triage", now=clock.now())
        session.rollback()
    with sessions() as session:
        assert queue_depth(session)[JobStatus.QUEUED] == 0


def test_expired_lease_is_reclaimed_and_the_old_worker_cannot_finish(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    job = add(sessions, clock, max_attempts=2)
    [first] = queue.claim("dead-worker")
    assert queue.claim("other") == []  # leased
    clock.advance(POLICY.lease + timedelta(seconds=1))
    [second] = queue.claim("other")
    assert second.id == job.id and second.attempt == 2
    assert queue.complete(first, "dead-worker") is False  # lost its lease
    assert queue.complete(second, "other") is True
    assert load(sessions, job).status == JobStatus.SUCCEEDED


def test_lease_expiring_on_the_last_attempt_fails_the_job(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    job = add(sessions, clock, max_attempts=1)
    assert len(queue.claim("dies")) == 1
    clock.advance(POLICY.lease + timedelta(seconds=1))
    assert queue.claim("other") == []
    stored = load(sessions, job)
    assert stored.status == JobStatus.FAILED
    assert "lease expired" in (stored.last_error or "")


def test_queue_depth_counts_every_status(sessions: SessionFactory, clock: ManualClock) -> None:
    add(sessions, clock)
    with sessions() as session:
        assert queue_depth(session) == {"queued": 1, "running": 0, "succeeded": 0, "failed": 0}


# ------------------------------------------------------------------------------- batches


def test_a_batch_handler_claims_many_jobs_at_once_and_settles_them(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    jobs = [add(sessions, clock, kind="bulk", payload={"n": n}, max_attempts=3) for n in range(5)]
    other = add(sessions, clock, kind="echo")
    seen: list[list[int]] = []

    def bulk(batch: JobBatch) -> None:
        with sessions() as session:
            claimed = batch.claim(session)
            session.commit()
        seen.append(sorted(j.payload["n"] for j in claimed))
        with sessions() as session:
            batch.settle(
                session,
                [
                    JobOutcome(job=j)
                    if j.payload["n"] != 3
                    else JobOutcome(job=j, error="n=3 is unlucky")
                    for j in claimed
                ],
            )
            session.commit()

    registry = HandlerRegistry()
    registry.register_batch("bulk", bulk, size=4)
    echoed: list[ClaimedJob] = []
    registry.register("echo", echoed.append)
    metrics = Metrics("test")
    worker = Worker(queue, registry, name="w", metrics=metrics)

    assert worker.run_once() == 5  # a batch of four, then the one single job
    assert seen == [[0, 1, 2, 3]] and [j.id for j in echoed] == [other.id]
    assert worker.run_once() == 1 and seen[-1] == [4]
    statuses = {load(sessions, j).payload["n"]: load(sessions, j).status for j in jobs}
    assert statuses == {n: JobStatus.QUEUED if n == 3 else JobStatus.SUCCEEDED for n in range(5)}
    assert load(sessions, jobs[3]).last_error == "n=3 is unlucky"
    assert load(sessions, jobs[3]).run_at > clock.now()  # retried after a backoff
    assert metrics.jobs.labels(kind="bulk", outcome="succeeded")._value.get() == 4
    assert metrics.jobs.labels(kind="bulk", outcome="retried")._value.get() == 1


def test_a_failing_batch_handler_retries_every_job_it_claimed(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    jobs = [add(sessions, clock, kind="bulk") for _ in range(3)]

    def broken(batch: JobBatch) -> None:
        with sessions() as session:
            claimed = batch.claim(session)
            batch.settle(session, [JobOutcome(job=claimed[0])])
            session.commit()
        raise RuntimeError("the provider SDK crashed")

    registry = HandlerRegistry()
    registry.register_batch("bulk", broken, size=10)
    assert Worker(queue, registry, name="w").run_once() == 3
    stored = [load(sessions, j) for j in jobs]
    assert sorted(s.status for s in stored) == [
        JobStatus.QUEUED,
        JobStatus.QUEUED,
        JobStatus.SUCCEEDED,  # its outcome had committed: left as it was
    ]
    assert {s.last_error for s in stored if s.status == JobStatus.QUEUED} == {
        "RuntimeError: the provider SDK crashed"
    }


def test_single_claims_leave_batch_kinds_to_their_handler(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    add(sessions, clock, kind="bulk")
    assert queue.claim("w", exclude=["bulk"]) == []
    assert [j.kind for j in queue.claim("w")] == ["bulk"]


def test_a_batch_does_not_rerun_a_job_whose_last_lease_expired(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    job = add(sessions, clock, kind="bulk", max_attempts=1)
    with sessions() as session:
        assert len(queue.claim_in(session, "dies", kinds=["bulk"], limit=5)) == 1
        session.commit()
    clock.advance(POLICY.lease + timedelta(seconds=1))
    with sessions() as session:
        assert queue.claim_in(session, "other", kinds=["bulk"], limit=5) == []
        session.commit()
    assert load(sessions, job).status == JobStatus.RUNNING  # failed by the next sweep
    queue.claim("sweeper")
    assert load(sessions, job).status == JobStatus.FAILED


def test_settling_after_losing_the_lease_changes_nothing(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    job = add(sessions, clock, kind="bulk", max_attempts=3)
    slow = JobBatch(queue, "slow", kind="bulk", limit=5)
    with sessions() as session:
        [first] = slow.claim(session)
        session.commit()
    clock.advance(POLICY.lease + timedelta(seconds=1))
    [second] = queue.claim("fast")
    with sessions() as session:
        slow.settle(session, [JobOutcome(job=first)])
        session.commit()
    assert slow.lost == [first]
    stored = load(sessions, job)
    assert stored.status == JobStatus.RUNNING and stored.locked_by == "fast"
    assert queue.complete(second, "fast") is True


def test_a_batch_settles_each_of_its_jobs_once(
    sessions: SessionFactory, clock: ManualClock, queue: JobQueue
) -> None:
    add(sessions, clock, kind="bulk")
    batch = JobBatch(queue, "w", kind="bulk", limit=5)
    with sessions() as session:
        [job] = batch.claim(session)
        batch.settle(session, [JobOutcome(job=job)])
        with pytest.raises(ValueError, match="not an unsettled job"):
            batch.settle(session, [JobOutcome(job=job)])
        with pytest.raises(RuntimeError, match="once"):
            batch.claim(session)


def test_a_kind_has_one_handler_single_or_batch() -> None:
    registry = HandlerRegistry()
    registry.register_batch("x", lambda _batch: None, size=5)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("x", lambda _job: None)
    assert registry.kinds() == ["x"] and registry.get("x") is None
