"""Faults change every view of the world consistently: state, metrics, events, logs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.errors import InvalidRequest
from lab.faults.catalog import FAULTS, apply_fault
from lab.world.dump import dump
from lab.world.metrics_port import WorldMetrics
from lab.world.openstack_port import WorldOpenStack
from lab.world.vsphere_port import WorldVSphere
from lab.world.world import LAB_EPOCH, World

MIB = 1024**2


def oom_world() -> World:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    target = {"namespace": "payments", "deployment": "api"}
    apply_fault(world, "k8s.oom_kill", target, {"memory_limit": "256Mi"})
    world.advance(timedelta(minutes=30))
    return world


def test_oom_kill_agrees_in_spec_status_metrics_events_and_logs() -> None:
    world = oom_world()
    deploy = world.kube.get("deployments", "api", "payments")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["memory"] == "256Mi"
    assert container["resources"]["requests"]["memory"] == "256Mi"  # never above the limit
    assert deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert deploy["status"]["readyReplicas"] == 0
    sets = world.kube.list("replicasets", "payments", label_selector="app=api")
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 3]  # something to roll back to

    pods = world.kube.list("pods", "payments", label_selector="app=api")
    assert len(pods) == 3
    port = WorldMetrics(world)
    for pod in pods:
        name = pod["metadata"]["name"]
        status = pod["status"]["containerStatuses"][0]
        terminated = status["lastState"]["terminated"]
        assert terminated["reason"] == "OOMKilled" and terminated["exitCode"] == 137
        assert status["restartCount"] >= 5
        restarts = asyncio.run(
            port.query(f'kube_pod_container_status_restarts_total{{pod="{name}"}}')
        )
        assert restarts[0].value == status["restartCount"]
        memory = asyncio.run(
            port.query_range(
                f'container_memory_working_set_bytes{{pod="{name}"}}',
                start=LAB_EPOCH - timedelta(minutes=30),
                end=LAB_EPOCH,
                step=timedelta(seconds=15),
            )
        )
        peak = max(p.value for p in memory[0].points)  # the last scrape before a kill
        assert 0.9 * 256 * MIB <= peak <= 256 * MIB
        previous = world.kube.read_log("payments", name, "api", previous=True)
        assert "memory usage close to the container limit" in previous
        backoff = world.kube.get("events", f"{name}.backoff", "payments")
        assert backoff["type"] == "Warning" and backoff["count"] >= status["restartCount"]
    endpoints = world.kube.get("endpoints", "api", "payments")
    ready = [a for s in endpoints["subsets"] for a in s.get("addresses", [])]
    waiting = [p for p in pods if "waiting" in p["status"]["containerStatuses"][0]["state"]]
    assert len(ready) == len(pods) - len(waiting)
    assert [f.name for f in world.faults] == ["k8s.oom_kill"]


def test_a_faulty_world_is_still_a_function_of_its_seed() -> None:
    assert dump(oom_world()) == dump(oom_world())


def test_old_pods_series_end_at_the_rollout() -> None:
    world = oom_world()
    port = WorldMetrics(world)
    before = asyncio.run(
        port.query(
            'container_memory_working_set_bytes{namespace="payments",container="api"}',
            at=LAB_EPOCH - timedelta(minutes=31),
        )
    )
    after = asyncio.run(
        port.query('container_memory_working_set_bytes{namespace="payments",container="api"}')
    )
    assert len(before) == len(after) == 3
    assert {s.labels["pod"] for s in before}.isdisjoint({s.labels["pod"] for s in after})


def test_host_disconnected_shows_in_vcenter_and_in_metrics_from_its_start() -> None:
    world = World.build(7)
    host = world.vsphere.hosts[1].name
    earlier = LAB_EPOCH - timedelta(minutes=1)
    before = world.metrics.current("vsphere_host_cpu_usage_ratio", earlier, host=host)
    apply_fault(world, "vsphere.host_disconnected", {"host": host})
    world.advance(timedelta(minutes=5))
    served = asyncio.run(WorldVSphere(world).get_host(host))
    assert served.connection_state == "disconnected" and served.overall_status == "red"
    assert world.metrics.current("vsphere_host_cpu_usage_ratio", world.now(), host=host) == 0.0
    assert world.metrics.current("vsphere_host_cpu_usage_ratio", earlier, host=host) == before


def test_datastore_full_drains_free_space_to_zero() -> None:
    world = World.build(7)
    ds = world.vsphere.datastores[0].name
    apply_fault(world, "vsphere.datastore_full", {"datastore": ds}, {"fill_minutes": 20})
    port = WorldVSphere(world)
    start = asyncio.run(port.get_datastore(ds)).free_bytes
    world.advance(timedelta(minutes=10))
    halfway = asyncio.run(port.get_datastore(ds)).free_bytes
    world.advance(timedelta(minutes=10))
    assert 0 < halfway < start
    assert asyncio.run(port.get_datastore(ds)).free_bytes == 0


def test_instance_error_carries_its_fault_message() -> None:
    world = World.build(7)
    apply_fault(
        world,
        "openstack.instance_error",
        {"server": "spark-worker-01"},
        {"message": "Build of instance aborted: Volume attachment failed"},
    )
    servers = asyncio.run(WorldOpenStack(world).list_servers(status="ERROR"))
    assert [s.name for s in servers] == ["spark-worker-01"]
    assert servers[0].fault is not None
    assert servers[0].fault.message == "Build of instance aborted: Volume attachment failed"
    assert servers[0].fault.created == world.now()


def test_unknown_faults_and_targets_are_refused_by_name() -> None:
    world = World.build(7)
    with pytest.raises(InvalidRequest, match=r"unknown fault 'k8s\.nope'.*k8s\.oom_kill"):
        apply_fault(world, "k8s.nope", {})
    with pytest.raises(InvalidRequest, match="no such target"):
        apply_fault(world, "k8s.oom_kill", {"namespace": "payments", "deployment": "nope"})
    assert world.faults == []


EVERY_FAULT = {
    "k8s.oom_kill": ({"namespace": "payments", "deployment": "api"}, {}),
    "k8s.image_pull": ({"namespace": "shop", "deployment": "cart"}, {}),
    "k8s.crashloop_bad_config": ({"namespace": "payments", "deployment": "ledger"}, {}),
    "k8s.node_not_ready": ({"node": "k8s-worker-03"}, {}),
    "k8s.pending_insufficient_cpu": ({"namespace": "shop", "deployment": "catalog"}, {}),
    "k8s.dns_failure": ({}, {}),
    "vsphere.host_disconnected": ({"host": "esx-par1-a01.lab.internal"}, {}),
    "vsphere.host_down": ({"host": "esx-par1-b01.lab.internal"}, {}),
    "vsphere.datastore_full": ({"datastore": "par1-nfs-01"}, {}),
    "vsphere.vm_powered_off": ({"vm": "db-payments-01"}, {}),
    "vsphere.vm_cpu_contention": ({"host": "esx-par1-a02.lab.internal"}, {}),
    "openstack.instance_error": ({"server": "spark-worker-03"}, {}),
    "openstack.hypervisor_down": ({"hypervisor": "cmp-01.regionone.lab.internal"}, {}),
    "openstack.quota_exhausted": ({"project": "kubernetes"}, {}),
    "openstack.volume_stuck_attaching": (
        {"volume": "backup-archive"},
        {"server": "spark-master-01"},
    ),
}


def test_the_catalog_is_the_list_above() -> None:
    assert set(FAULTS) == set(EVERY_FAULT)


@pytest.mark.parametrize("name", sorted(EVERY_FAULT))
def test_every_fault_leaves_a_world_that_is_a_function_of_its_seed(name: str) -> None:
    target, params = EVERY_FAULT[name]
    dumps = []
    for _ in range(2):
        world = World.build(7, start=LAB_EPOCH - timedelta(minutes=20))
        apply_fault(world, name, target, params)
        world.advance(timedelta(minutes=20))
        dumps.append(dump(world))
    assert dumps[0] == dumps[1]
    assert dumps[0] != dump(World.build(7))
