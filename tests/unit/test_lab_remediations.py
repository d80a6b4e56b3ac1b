"""StackStorm actions change the world as the real ones would; the faults react to them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lab.faults.catalog import apply_fault
from lab.kube.store import JsonObject
from lab.world.kube_objects import ts
from lab.world.metrics_port import WorldMetrics
from lab.world.stackstorm_port import WorldStackStorm
from lab.world.vsphere_port import WorldVSphere
from lab.world.world import LAB_EPOCH, World

TARGET = {"namespace": "payments", "deployment": "api"}


def oom_world() -> World:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    apply_fault(world, "k8s.oom_kill", TARGET, {"memory_limit": "256Mi"})
    world.advance(timedelta(minutes=30))
    return world


def api_pods(world: World) -> list[JsonObject]:
    return world.kube.list("pods", "payments", label_selector="app=api")


def restarts(world: World) -> list[int]:
    return [p["status"]["containerStatuses"][0]["restartCount"] for p in api_pods(world)]


def test_raising_the_memory_limit_ends_the_oom_loop() -> None:
    world = oom_world()
    st2 = WorldStackStorm(world)
    execution = asyncio.run(
        st2.run_action("kubernetes.set_memory_limit", {**TARGET, "memory_limit": "512Mi"})
    )
    assert execution.status == "succeeded" and execution.result["revision"] == 3
    world.advance(timedelta(minutes=15))
    assert restarts(world) == [0, 0, 0]
    deploy = world.kube.get("deployments", "api", "payments")
    assert deploy["status"]["readyReplicas"] == 3
    endpoints = world.kube.get("endpoints", "api", "payments")
    assert len(endpoints["subsets"][0]["addresses"]) == 3
    counters = asyncio.run(
        WorldMetrics(world).query(
            'kube_pod_container_status_restarts_total{namespace="payments",container="api"}'
        )
    )
    assert [s.value for s in counters] == [0.0, 0.0, 0.0]


def test_a_rollout_restart_does_not_cure_a_limit_that_is_too_low() -> None:
    world = oom_world()
    asyncio.run(WorldStackStorm(world).run_action("kubernetes.rollout_restart", TARGET))
    world.advance(timedelta(minutes=15))
    assert all(count >= 3 for count in restarts(world))
    template = world.kube.get("deployments", "api", "payments")["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": ts(LAB_EPOCH)
    }


def test_rollout_undo_scales_the_previous_replicaset_back_up() -> None:
    world = oom_world()
    before = {rs["metadata"]["name"] for rs in world.kube.list("replicasets", "payments")}
    execution = asyncio.run(WorldStackStorm(world).run_action("kubernetes.rollout_undo", TARGET))
    assert execution.status == "succeeded"
    sets = world.kube.list("replicasets", "payments", label_selector="app=api")
    assert {rs["metadata"]["name"] for rs in world.kube.list("replicasets", "payments")} == before
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 3]
    deploy = world.kube.get("deployments", "api", "payments")
    limits = deploy["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["memory"] == "512Mi"
    world.advance(timedelta(minutes=10))
    assert restarts(world) == [0, 0, 0]


def test_a_failed_action_is_a_failed_execution() -> None:
    world = World.build(7)
    execution = asyncio.run(
        WorldStackStorm(world).run_action(
            "kubernetes.rollout_undo", {"namespace": "payments", "deployment": "api"}
        )
    )
    assert execution.status == "failed"
    assert "no previous revision" in execution.result["error"]


def test_reconnecting_a_host_resumes_its_usage_reports() -> None:
    world = World.build(7)
    host = world.vsphere.hosts[0].name
    apply_fault(world, "vsphere.host_disconnected", {"host": host})
    world.advance(timedelta(minutes=10))
    asyncio.run(WorldStackStorm(world).run_action("vsphere.host_reconnect", {"host": host}))
    world.advance(timedelta(minutes=1))
    served = asyncio.run(WorldVSphere(world).get_host(host))
    assert served.connection_state == "connected" and served.cpu_usage_mhz > 0
    assert (
        world.metrics.current(
            "vsphere_host_cpu_usage_ratio", LAB_EPOCH + timedelta(minutes=5), host=host
        )
        == 0.0
    )
