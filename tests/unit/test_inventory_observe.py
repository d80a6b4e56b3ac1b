"""The short statuses the inventory stores, from the port's DTOs."""

from __future__ import annotations

from connectors.kubernetes.models import (
    ContainerState,
    ContainerStatus,
    Node,
    ObjectRef,
    Pod,
    Workload,
)
from inventory import observe
from inventory.models import ObjectKind


def status(state: ContainerState, reason: str | None = None) -> ContainerStatus:
    return ContainerStatus(name="app", ready=False, restart_count=0, state=state, reason=reason)


def test_node_status_reads_as_kubectl_shows_it() -> None:
    assert observe.node_status(Node(name="n", ready=True, unschedulable=False)) == "Ready"
    assert observe.node_status(Node(name="n", ready=False, unschedulable=False)) == "NotReady"
    cordoned = Node(name="n", ready=True, unschedulable=True)
    assert observe.node_status(cordoned) == "Ready,SchedulingDisabled"


def test_pod_status_prefers_the_pod_reason_then_a_container_reason_then_the_phase() -> None:
    assert observe.pod_status(Pod(name="p", namespace="n", phase="Running")) == "Running"
    evicted = Pod(name="p", namespace="n", phase="Failed", reason="Evicted")
    assert observe.pod_status(evicted) == "Evicted"
    crashing = Pod(
        name="p",
        namespace="n",
        phase="Running",
        statuses=(status("running"), status("waiting", "CrashLoopBackOff")),
    )
    assert observe.pod_status(crashing) == "CrashLoopBackOff"
    oom = Pod(
        name="p", namespace="n", phase="Failed", statuses=(status("terminated", "OOMKilled"),)
    )
    assert observe.pod_status(oom) == "OOMKilled"
    waiting = Pod(name="p", namespace="n", phase="Pending", statuses=(status("waiting"),))
    assert observe.pod_status(waiting) == "Pending"


def test_a_workload_reads_ready_of_desired_and_keeps_its_owner() -> None:
    rs = Workload(
        kind="ReplicaSet",
        name="web-1",
        namespace="shop",
        desired=3,
        ready=2,
        available=2,
        updated=3,
        labels={"app": "web"},
        owner=ObjectRef(kind="Deployment", name="web", namespace="shop"),
        uid="u-1",
    )
    seen = observe.workload(rs)
    assert (seen.kind, seen.status, seen.owner, seen.uid) == (
        ObjectKind.REPLICASET,
        "2/3 ready",
        "Deployment/web",
        "u-1",
    )
    assert seen.key == ("ReplicaSet", "shop", "web-1")
    assert "labels" not in seen.summary and seen.summary["desired"] == 3
