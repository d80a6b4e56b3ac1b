"""Faults felt through dependencies: DNS, a database VM, CPU contention on a host."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lab.faults.catalog import apply_fault
from lab.world.alerts import firing_alerts
from lab.world.vsphere_port import WorldVSphere
from lab.world.world import World


def recent_log(world: World, namespace: str, app: str) -> str:
    pod = world.kube.list("pods", namespace, label_selector=f"app={app}")[0]
    container = pod["spec"]["containers"][0]["name"]
    return world.kube.read_log(
        namespace, pod["metadata"]["name"], container, since=world.now() - timedelta(minutes=10)
    )


def test_dns_failure_shows_in_coredns_and_in_the_apps_that_resolve_lab_names() -> None:
    world = World.build(7)
    apply_fault(world, "k8s.dns_failure", {})
    world.advance(timedelta(minutes=10))
    coredns = world.kube.list("pods", "kube-system", label_selector="app=coredns")[0]
    dns_log = recent_log(world, "kube-system", "coredns")
    assert f"read udp {coredns['status']['podIP']}:" in dns_log
    assert "->10.20.0.2:53: i/o timeout" in dns_log
    api_log = recent_log(world, "payments", "api")
    assert "lookup db-payments-01.lab.internal on 10.96.0.10:53: server misbehaving" in api_log
    assert "server misbehaving" not in recent_log(world, "shop", "cart")  # cluster names only


def test_a_powered_off_database_vm_breaks_the_apps_that_use_it() -> None:
    world = World.build(7)
    apply_fault(world, "vsphere.vm_powered_off", {"vm": "db-payments-02"})
    world.advance(timedelta(minutes=10))
    vm = asyncio.run(WorldVSphere(world).get_vm("db-payments-02"))
    assert vm.power_state == "poweredOff" and vm.cpu_usage_mhz == 0 and vm.ip_address is None
    ledger = recent_log(world, "payments", "ledger")
    assert f"dial tcp {world.vsphere.vm('db-payments-02').ip_address}:5432" in ledger
    assert "no route to host" not in recent_log(world, "payments", "api")  # uses db-payments-01


def test_powering_off_a_node_vm_fails_its_node() -> None:
    world = World.build(7)
    apply_fault(world, "vsphere.vm_powered_off", {"vm": "k8s-worker-02"})
    world.advance(timedelta(minutes=1))
    node = world.kube.get("nodes", "k8s-worker-02")
    assert next(c for c in node["status"]["conditions"] if c["type"] == "Ready")["status"] == (
        "Unknown"
    )


def test_vm_cpu_contention_raises_cpu_ready_on_every_vm_of_the_host() -> None:
    world = World.build(7)
    host = world.vsphere.vm("k8s-worker-01").host
    apply_fault(world, "vsphere.vm_cpu_contention", {"host": host}, {"over_minutes": 5})
    world.advance(timedelta(minutes=20))
    port = WorldVSphere(world)
    vms = asyncio.run(port.list_vms(host=host))
    assert vms and all(v.cpu_ready_ratio >= 0.19 for v in vms)
    assert asyncio.run(port.get_host(host)).overall_status == "yellow"
    alerts = {
        a.labels["vm"]
        for a in firing_alerts(world)
        if a.labels["alertname"] == "VSphereVmCpuReadyHigh"
    }
    assert alerts == {v.name for v in vms}
