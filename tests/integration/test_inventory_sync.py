"""The inventory sync: the fixture cluster read through `LabKubernetes` into the database."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from connectors.kubernetes.models import Pod
from core.clock import ManualClock
from core.db.engine import SessionFactory, make_engine, make_session_factory
from core.db.migrate import upgrade
from core.errors import NotFound, Unavailable
from inventory.models import InventoryCluster, InventoryObject
from inventory.sync import InventorySync, SyncResult
from lab.kube.port import LabKubernetes
from lab.kube.store import KubeStore
from tests.integration.kube_cluster import LabClock, build_cluster

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
T2 = T0 + timedelta(minutes=10)

EXPECTED_COUNTS = {
    "DaemonSet": 1,
    "Deployment": 1,
    "Namespace": 3,
    "Node": 2,
    "Pod": 3,
    "ReplicaSet": 1,
    "StatefulSet": 1,
}


class BrokenPods(LabKubernetes):
    """The lab cluster, except that listing pods finds no API server."""

    async def list_pods(
        self, *, namespace: str | None, selector: str | None = None, node: str | None = None
    ) -> list[Pod]:
        del namespace, selector, node
        raise Unavailable("lab: connection refused (https://10.0.0.1:6443)")


def new_pod(name: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "web:1"}]},
        "status": {"phase": "Pending"},
    }


@pytest.fixture
def store() -> KubeStore:
    return build_cluster(KubeStore(cluster="lab", now=LabClock()))


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)


def sync(sessions: SessionFactory, at: datetime, port: LabKubernetes) -> SyncResult:
    return asyncio.run(InventorySync(sessions, ManualClock(at), {"lab": port}).sync("lab"))


def objects(sessions: SessionFactory) -> dict[tuple[str, str, str], InventoryObject]:
    with sessions() as session:
        rows = session.exec(select(InventoryObject)).all()
        return {(o.kind, o.namespace, o.name): o for o in rows}


def cluster(sessions: SessionFactory) -> InventoryCluster:
    with sessions() as session:
        return session.exec(select(InventoryCluster)).one()


def test_a_sync_stores_every_kind_with_a_status_a_person_reads(
    sessions: SessionFactory, store: KubeStore
) -> None:
    result = sync(sessions, T0, LabKubernetes(store))

    assert result.ok and result.counts == EXPECTED_COUNTS
    assert result.appeared == sum(EXPECTED_COUNTS.values()) and result.gone == 0
    row = cluster(sessions)
    assert (row.name, row.last_synced_at, row.last_error) == ("lab", T0, None)
    assert row.counts == EXPECTED_COUNTS
    seen = objects(sessions)
    assert len(seen) == sum(EXPECTED_COUNTS.values())
    assert seen["Node", "", "node-a"].status == "Ready"
    assert seen["Node", "", "node-b"].status == "NotReady,SchedulingDisabled"
    assert seen["Namespace", "", "shop"].status == "Active"
    assert seen["Deployment", "shop", "web"].status == "1/2 ready"
    assert seen["DaemonSet", "kube-system", "node-exporter"].status == "1/2 ready"
    assert seen["ReplicaSet", "shop", "web-7d9f"].owner == "Deployment/web"
    oom = seen["Pod", "shop", "web-7d9f-oom"]
    assert (oom.status, oom.node, oom.owner) == (
        "CrashLoopBackOff",
        "node-a",
        "ReplicaSet/web-7d9f",
    )
    assert oom.summary["restarts"] == 4
    assert oom.summary["statuses"][0]["last_termination"]["reason"] == "OOMKilled"
    assert oom.labels == {"app": "web", "pod-template-hash": "7d9f"}
    assert seen["Pod", "shop", "web-7d9f-ok"].status == "Running"
    assert seen["Pod", "shop", "worker-0"].owner == "StatefulSet/worker"
    assert all(o.uid for o in seen.values())
    assert all(o.first_seen == o.last_seen == T0 and o.gone_at is None for o in seen.values())


def test_a_resync_keeps_first_seen_marks_the_vanished_gone_and_brings_them_back(
    sessions: SessionFactory, store: KubeStore
) -> None:
    port = LabKubernetes(store)
    sync(sessions, T0, port)
    store.delete("pods", "web-7d9f-ok", namespace="shop")
    store.create("pods", new_pod("web-7d9f-new"))

    result = sync(sessions, T1, port)

    assert (result.appeared, result.gone, result.counts["Pod"]) == (1, 1, 3)
    seen = objects(sessions)
    survivor = seen["Pod", "shop", "web-7d9f-oom"]
    assert (survivor.first_seen, survivor.last_seen, survivor.gone_at) == (T0, T1, None)
    deleted = seen["Pod", "shop", "web-7d9f-ok"]
    assert (deleted.first_seen, deleted.last_seen, deleted.gone_at) == (T0, T0, T1)
    new = seen["Pod", "shop", "web-7d9f-new"]
    assert (new.first_seen, new.status, new.gone_at) == (T1, "Pending", None)
    assert seen["Node", "", "node-b"].first_seen == T0

    # A later sync that still misses it keeps the time it went; its return clears gone_at.
    sync(sessions, T1 + timedelta(minutes=1), port)
    assert objects(sessions)["Pod", "shop", "web-7d9f-ok"].gone_at == T1
    store.create("pods", new_pod("web-7d9f-ok"))
    result = sync(sessions, T2, port)
    back = objects(sessions)["Pod", "shop", "web-7d9f-ok"]
    assert (back.first_seen, back.last_seen, back.gone_at, back.status) == (T0, T2, None, "Pending")
    assert (result.appeared, result.gone, result.counts["Pod"]) == (1, 0, 4)


def test_an_unreadable_cluster_records_the_error_and_keeps_the_inventory(
    sessions: SessionFactory, store: KubeStore
) -> None:
    sync(sessions, T0, LabKubernetes(store))
    before = objects(sessions)

    result = sync(sessions, T1, BrokenPods(store))

    assert not result.ok
    assert result.error == "lab: connection refused (https://10.0.0.1:6443)"
    row = cluster(sessions)
    assert (row.last_attempt_at, row.last_synced_at, row.last_error) == (T1, T0, result.error)
    assert row.counts == EXPECTED_COUNTS
    after = objects(sessions)
    assert after.keys() == before.keys()
    assert all(o.gone_at is None and o.last_seen == T0 for o in after.values())

    sync(sessions, T2, LabKubernetes(store))
    row = cluster(sessions)
    assert (row.last_synced_at, row.last_error) == (T2, None)


def test_a_first_sync_that_fails_still_lists_the_cluster(
    sessions: SessionFactory, store: KubeStore
) -> None:
    result = sync(sessions, T0, BrokenPods(store))
    row = cluster(sessions)
    assert (row.first_seen, row.last_synced_at, row.last_error) == (T0, None, result.error)
    assert objects(sessions) == {}


def test_an_unknown_cluster_is_not_found(sessions: SessionFactory) -> None:
    inventory = InventorySync(sessions, ManualClock(T0), {})
    with pytest.raises(NotFound, match="no Kubernetes cluster named 'edge'"):
        asyncio.run(inventory.sync("edge"))


def test_concurrent_syncs_of_one_cluster_take_turns(postgres_url: str, store: KubeStore) -> None:
    """Two workers syncing one new cluster at once: the cluster row's lock serializes them."""
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        port = LabKubernetes(store)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: sync(sessions, T0, port), range(4)))
        assert all(r.ok for r in results)
        assert sum(r.appeared for r in results) == sum(EXPECTED_COUNTS.values())
        assert len(objects(sessions)) == sum(EXPECTED_COUNTS.values())
        assert cluster(sessions).generation == 4
    finally:
        engine.dispose()
