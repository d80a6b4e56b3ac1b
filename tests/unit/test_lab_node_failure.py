"""A silent node, and the cascade from a failed ESXi host, as the control plane handles them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lab.faults.catalog import apply_fault
from lab.kube.store import JsonObject
from lab.world.alerts import firing_alerts
from lab.world.kube_controllers import pod_ready, terminating
from lab.world.metrics_port import WorldMetrics
from lab.world.vsphere_port import WorldVSphere
from lab.world.world import LAB_EPOCH, World


def on_node(world: World, node: str) -> list[JsonObject]:
    return world.kube.list("pods", field_selector=f"spec.nodeName={node}")


def ready_condition(world: World, node: str) -> str:
    conditions = world.kube.get("nodes", node)["status"]["conditions"]
    return str(next(c["status"] for c in conditions if c["type"] == "Ready"))


def busiest_worker(world: World) -> str:
    workers = [b.node for b in world.nodes if b.role == "worker"]
    return max(workers, key=lambda n: (len(on_node(world, n)), n))


def test_a_silent_node_is_marked_then_its_pods_are_evicted_and_replaced() -> None:
    world = World.build(7)
    node = busiest_worker(world)
    before = {p["metadata"]["name"] for p in on_node(world, node)}
    assert before
    apply_fault(world, "k8s.node_not_ready", {"node": node})
    world.advance(timedelta(seconds=30))
    assert ready_condition(world, node) == "True"  # within the grace period
    world.advance(timedelta(seconds=30))
    assert ready_condition(world, node) == "Unknown"
    taints = world.kube.get("nodes", node)["spec"]["taints"]
    assert {(t["key"], t["effect"]) for t in taints} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }
    assert not any(pod_ready(p) for p in on_node(world, node))
    for endpoints in world.kube.list("endpoints"):
        ips = [a["nodeName"] for s in endpoints["subsets"] for a in s.get("addresses", [])]
        assert node not in ips

    world.advance(timedelta(minutes=6))
    stuck = on_node(world, node)
    assert {p["metadata"]["name"] for p in stuck} == before
    assert all(terminating(p) for p in stuck)  # no kubelet confirms the deletion
    for deploy in world.kube.list("deployments"):
        assert deploy["status"]["readyReplicas"] == deploy["spec"]["replicas"]
    replacements = [p for p in world.kube.list("pods") if p["metadata"]["name"] not in before]
    assert all(p["spec"]["nodeName"] != node for p in replacements)

    world.advance(timedelta(minutes=10))
    alerts = {(a.labels["alertname"], a.labels.get("node")) for a in firing_alerts(world)}
    assert alerts == {("KubeNodeNotReady", node)}
    port = WorldMetrics(world)
    assert asyncio.run(port.query(f'node_cpu_usage_ratio{{node="{node}"}}')) == []
    pod = stuck[0]
    container = pod["spec"]["containers"][0]["name"]
    log = world.kube.read_log(
        pod["metadata"]["namespace"], pod["metadata"]["name"], container, timestamps=True
    )
    assert max(log.splitlines()) < LAB_EPOCH.strftime("%Y-%m-%dT%H:%M:%S")  # none since


def test_a_failed_esxi_host_takes_its_vms_their_nodes_and_their_pods_down() -> None:
    world = World.build(7)
    vm = world.vsphere.vm("k8s-worker-02")
    down = {v.name for v in world.vsphere.vms if v.host == vm.host and v.role != "service"}
    scheduled = {p["metadata"]["name"] for node in down for p in on_node(world, node)}
    assert down == {"k8s-worker-02"} and len(scheduled) == 7
    apply_fault(world, "vsphere.host_down", {"host": vm.host})
    world.advance(timedelta(minutes=2))
    port = WorldVSphere(world)
    host = asyncio.run(port.get_host(vm.host))
    assert host.connection_state == "notResponding" and host.overall_status == "red"
    assert asyncio.run(port.get_vm(vm.name)).connection_state == "notResponding"
    for node in down:
        assert ready_condition(world, node) == "Unknown"
    others = {b.node for b in world.nodes} - down
    assert all(ready_condition(world, node) == "True" for node in others)
    pods = [p for p in world.kube.list("pods") if p["metadata"]["name"] in scheduled]
    assert len(pods) == len(scheduled) and not any(pod_ready(p) for p in pods)
    for pod in pods:
        event = world.kube.get(
            "events", f"{pod['metadata']['name']}.nodenotready", pod["metadata"]["namespace"]
        )
        assert event["message"] == "Node is not ready"

    world.advance(timedelta(minutes=6))
    pods = [p for p in world.kube.list("pods") if p["metadata"]["name"] in scheduled]
    assert len(pods) == len(scheduled) and all(terminating(p) for p in pods)
    replacements = [p for p in world.kube.list("pods") if p["metadata"]["name"] not in scheduled]
    assert all(p["spec"]["nodeName"] in others for p in replacements if not terminating(p))
    for deploy in world.kube.list("deployments"):
        assert deploy["status"]["readyReplicas"] == deploy["spec"]["replicas"]
