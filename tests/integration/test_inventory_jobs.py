"""The periodic inventory sync: one job per cluster and interval, however many workers poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, select

from core.clock import ManualClock
from core.db.engine import SessionFactory, make_session_factory
from core.jobs.models import Job, JobStatus
from core.jobs.queue import JobQueue
from core.jobs.worker import HandlerRegistry, Worker
from core.settings import DatabaseSettings, InventorySettings, Settings
from inventory.jobs import SYNC_JOB, SyncHandler, SyncPoller
from inventory.models import InventoryCluster, InventoryObject
from inventory.sync import InventorySync
from lab.kube.port import LabKubernetes
from lab.kube.store import KubeStore
from pixelview.container import Container
from tests.integration.kube_cluster import LabClock, build_cluster

# 2 s into a 300 s slot (and a 60 s one).
T0 = datetime(2026, 6, 1, 10, 0, 2, tzinfo=UTC)


def lab_port(name: str = "lab") -> LabKubernetes:
    return LabKubernetes(build_cluster(KubeStore(cluster=name, now=LabClock())))


def sync_jobs(sessions: SessionFactory) -> list[Job]:
    with sessions() as session:
        query = select(Job).where(col(Job.kind) == SYNC_JOB).order_by(col(Job.created_at))
        return list(session.exec(query).all())


def test_two_workers_polling_in_one_slot_enqueue_one_job_per_cluster_and_it_syncs(
    engine: Engine,
) -> None:
    sessions = make_session_factory(engine)
    clock = ManualClock(T0)
    ports = {"lab": lab_port("lab"), "edge": lab_port("edge")}
    workers = []
    for name in ("w1", "w2"):
        registry = HandlerRegistry()
        registry.register(SYNC_JOB, SyncHandler(InventorySync(sessions, clock, ports)))
        poller = SyncPoller(sessions, clock, sorted(ports), interval_s=300)
        queue = JobQueue(sessions, clock)
        workers.append(Worker(queue, registry, name=name, pollers=[poller.tick]))
    w1, w2 = workers

    assert w1.poll() == 2
    clock.advance(timedelta(seconds=200))  # still the same slot
    assert w2.poll() == 2  # asks too, and the dedup key makes it the same jobs
    assert w1.poll() == 0  # this poller already enqueued this slot: no query at all
    jobs = sync_jobs(sessions)
    assert sorted(j.dedup_key or "" for j in jobs) == ["edge@5934360", "lab@5934360"]

    assert w1.run_once() + w2.run_once() == 2
    assert w1.run_once() + w2.run_once() == 0
    assert {j.status for j in sync_jobs(sessions)} == {JobStatus.SUCCEEDED}
    with sessions() as session:
        clusters = session.exec(select(InventoryCluster).order_by(col(InventoryCluster.name)))
        assert [(c.name, c.last_synced_at) for c in clusters] == [
            ("edge", T0 + timedelta(seconds=200)),
            ("lab", T0 + timedelta(seconds=200)),
        ]
        pods = session.exec(select(InventoryObject).where(col(InventoryObject.kind) == "Pod"))
        assert len(list(pods)) == 6

    clock.advance(timedelta(seconds=100))  # the next slot
    assert w2.poll() == 2 and w1.poll() == 2
    assert len(sync_jobs(sessions)) == 4


def test_a_job_for_a_cluster_without_a_port_fails_without_retry(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    clock = ManualClock(T0)
    registry = HandlerRegistry()
    registry.register(SYNC_JOB, SyncHandler(InventorySync(sessions, clock, {})))
    SyncPoller(sessions, clock, ["gone"], interval_s=300).tick()
    Worker(JobQueue(sessions, clock), registry).run_once()
    [job] = sync_jobs(sessions)
    assert job.status == JobStatus.FAILED
    assert job.last_error == "no Kubernetes cluster named 'gone' is configured"


def test_the_container_registers_the_sync_and_its_poller(tmp_path: Path) -> None:
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'pv.db'}"),
        inventory=InventorySettings(interval_s=60),
    )
    container = Container.build(settings, clock=ManualClock(T0), kubernetes={"lab": lab_port()})
    container.upgrade_database()
    try:
        worker = container.worker()
        assert SYNC_JOB in container.handlers.kinds()
        assert worker.poll() == 1
        assert worker.run_once() == 1
        [job] = sync_jobs(container.sessions)
        assert (job.status, job.dedup_key) == (JobStatus.SUCCEEDED, "lab@29671800")
        with container.sessions() as session:
            [lab] = session.exec(select(InventoryCluster)).all()
            assert lab.counts["Node"] == 2 and lab.last_synced_at == T0
    finally:
        container.close()


def test_without_clusters_the_poller_does_nothing(tmp_path: Path) -> None:
    settings = Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'pv.db'}"))
    container = Container.build(settings, clock=ManualClock(T0))
    container.upgrade_database()
    try:
        assert container.worker().poll() == 0
        assert sync_jobs(container.sessions) == []
    finally:
        container.close()
