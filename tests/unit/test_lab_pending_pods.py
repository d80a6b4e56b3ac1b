"""Pods that fit no node stay Pending, as kube-scheduler leaves them; the right fix clears them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from lab.faults.catalog import apply_fault
from lab.kube.store import JsonObject
from lab.world.alerts import firing_alerts
from lab.world.stackstorm_port import WorldStackStorm
from lab.world.world import LAB_EPOCH, World

API = {"namespace": "payments", "deployment": "api"}
CONTROL_PLANE = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def pending(params: dict[str, Any] | None = None, *, before: str | None = None) -> World:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    if before is not None:
        apply_fault(world, "k8s.node_not_ready", {"node": before})
        world.advance(timedelta(minutes=1))
    apply_fault(world, "k8s.pending_insufficient_cpu", API, params)
    world.advance(timedelta(minutes=30))
    return world


def api_pods(world: World, phase: str) -> list[JsonObject]:
    pods = world.kube.list("pods", "payments", label_selector="app=api")
    return [
        p
        for p in pods
        if p["status"]["phase"] == phase and not p["metadata"].get("deletionTimestamp")
    ]


def cpu(pod: JsonObject) -> str:
    return str(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"])


def test_a_request_no_node_has_room_for_leaves_the_new_pod_pending_and_says_why() -> None:
    world = pending()
    [waiting] = api_pods(world, "Pending")
    assert len(api_pods(world, "Running")) == 3  # the stalled rollout keeps the old pods
    name = waiting["metadata"]["name"]
    assert "nodeName" not in waiting["spec"] and "containerStatuses" not in waiting["status"]
    assert cpu(waiting) == "8"
    [scheduled] = waiting["status"]["conditions"]
    message = (
        f"0/7 nodes are available: {CONTROL_PLANE}, 6 Insufficient cpu. preemption: 0/7 nodes "
        "are available: 1 Preemption is not helpful for scheduling, 6 No preemption victims "
        "found for incoming pod."
    )
    assert scheduled == {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
        "lastProbeTime": None,
        "lastTransitionTime": "2026-11-16T09:30:00Z",
    }
    event = world.kube.get("events", f"{name}.failedscheduling", "payments")
    assert (event["type"], event["reason"], event["message"]) == (
        "Warning",
        "FailedScheduling",
        message,
    )
    assert event["source"] == {"component": "default-scheduler"} and event["count"] == 7
    deploy = world.kube.get("deployments", "api", "payments")
    assert deploy["status"]["unavailableReplicas"] == 1
    reasons = {c["type"]: c["reason"] for c in deploy["status"]["conditions"]}
    assert reasons["Progressing"] == "ProgressDeadlineExceeded"
    now = world.now()
    assert world.metrics.current("kube_pod_status_phase", now, pod=name, phase="Pending") == 1
    assert world.metrics.current("kube_pod_status_unschedulable", now, pod=name) == 1
    assert world.metrics.current("container_cpu_usage_cores", now, pod=name) is None
    alerts = [(a.labels["alertname"], a.labels["pod"]) for a in firing_alerts(world)]
    assert alerts == [("KubePodNotReady", name)]


def test_the_message_counts_the_nodes_by_what_keeps_the_pod_off_them() -> None:
    world = pending(before="k8s-worker-04")
    [waiting] = api_pods(world, "Pending")
    reasons = waiting["status"]["conditions"][0]["message"].split(". preemption: ")[0]
    assert reasons == (
        f"0/7 nodes are available: {CONTROL_PLANE}, 1 node(s) had untolerated taint "
        "{node.kubernetes.io/unreachable: }, 5 Insufficient cpu"
    )


def test_lowering_the_request_clears_the_pending_pod() -> None:
    world = pending()
    execution = asyncio.run(
        WorldStackStorm(world).run_action(
            "kubernetes.set_cpu_request", {**API, "cpu_request": "250m"}
        )
    )
    assert execution.status == "succeeded" and execution.result["revision"] == 3
    assert api_pods(world, "Pending") == []
    world.advance(timedelta(minutes=20))
    assert len(api_pods(world, "Running")) == 3
    deploy = world.kube.get("deployments", "api", "payments")
    assert deploy["status"]["readyReplicas"] == 3 and "unavailableReplicas" not in deploy["status"]
    assert firing_alerts(world) == []


def test_scaling_back_down_removes_the_pods_that_did_not_fit_first() -> None:
    world = pending({"cpu_request": "5", "replicas": 8})
    assert len(api_pods(world, "Pending")) == 1
    big = [p for p in api_pods(world, "Running") if cpu(p) == "5"]
    assert len({p["spec"]["nodeName"] for p in big}) == len(big) == 6  # one on each worker
    execution = asyncio.run(
        WorldStackStorm(world).run_action("kubernetes.scale_deployment", {**API, "replicas": 3})
    )
    assert execution.status == "succeeded"
    assert api_pods(world, "Pending") == []
    kept = api_pods(world, "Running")
    assert len(kept) == 3
    assert [cpu(p) for p in kept] == ["5", "5", "5"]
    sets = world.kube.list("replicasets", "payments", label_selector="app=api")
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 3]
    world.advance(timedelta(minutes=20))
    assert firing_alerts(world) == []
