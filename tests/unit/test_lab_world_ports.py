"""The in-process ports serve what the world model holds."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from connectors.openstack.port import OpenStackPort
from connectors.prometheus.port import MetricsPort
from connectors.stackstorm.port import StackStormPort
from connectors.vmware.port import VSpherePort
from core.errors import InvalidRequest, NotFound
from lab.world.metrics.overlays import Hold, Overlay
from lab.world.metrics_port import WorldMetrics
from lab.world.openstack_port import WorldOpenStack
from lab.world.stackstorm_port import WorldStackStorm
from lab.world.vsphere_port import WorldVSphere
from lab.world.world import LAB_EPOCH, World

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def world() -> World:
    return World.build(7)


def test_the_world_ports_satisfy_the_protocols(world: World) -> None:
    vsphere: VSpherePort = WorldVSphere(world)
    openstack: OpenStackPort = WorldOpenStack(world)
    metrics: MetricsPort = WorldMetrics(world)
    st2: StackStormPort = WorldStackStorm(world)
    assert all((vsphere, openstack, metrics, st2))


def test_vsphere_port_serves_inventory_and_current_usage(world: World) -> None:
    port = WorldVSphere(world)
    estate = world.vsphere
    assert [d.name for d in run(port.list_datacenters())] == [estate.datacenter]
    clusters = run(port.list_clusters(datacenter=estate.datacenter))
    assert [c.name for c in clusters] == sorted(c.name for c in estate.clusters)
    assert all(c.overall_status == "green" for c in clusters)
    hosts = run(port.list_hosts(cluster=clusters[0].name))
    assert {h.name for h in hosts} == set(clusters[0].hosts)
    host = hosts[0]
    ratio = world.metrics.current("vsphere_host_cpu_usage_ratio", world.now(), host=host.name)
    assert ratio is not None and host.cpu_usage_mhz == round(ratio * host.cpu_capacity_mhz)
    assert 0 < host.memory_usage_bytes < host.memory_capacity_bytes
    assert run(port.get_host(host.name)) == host
    vm = run(port.get_vm("k8s-worker-01"))
    assert vm.host == world.vsphere.vm("k8s-worker-01").host and vm.power_state == "poweredOn"
    assert vm.instance_uuid == world.node("k8s-worker-01").machine_id
    assert 0 < vm.cpu_ready_ratio < 0.1
    assert vm.name in run(port.get_host(vm.host)).vms
    assert {v.name for v in run(port.list_vms(host=vm.host))} == set(
        run(port.get_host(vm.host)).vms
    )
    stores = run(port.list_datastores())
    assert [d.name for d in stores] == sorted(d.name for d in estate.datastores)
    assert all(0 < d.free_bytes < d.capacity_bytes for d in stores)
    with pytest.raises(NotFound):
        run(port.get_host("esx-nowhere"))


def test_vsphere_port_reflects_state_and_overlays() -> None:
    world = World.build(7)
    port = WorldVSphere(world)
    host = world.vsphere.hosts[0]
    host.connection_state = "disconnected"
    served = run(port.get_host(host.name))
    assert served.overall_status == "red" and served.cpu_usage_mhz == 0
    on_host = [v for v in run(port.list_vms()) if v.host == host.name]
    assert on_host and all(v.connection_state == "disconnected" for v in on_host)
    cluster = next(c for c in run(port.list_clusters()) if c.name == host.cluster)
    assert cluster.overall_status == "red"
    ds = world.vsphere.datastores[0].name
    world.metrics.overlay(
        Overlay({"__name__": "vsphere_datastore_free_bytes", "datastore": ds}, LAB_EPOCH, Hold(0))
    )
    assert run(port.get_datastore(ds)).free_bytes == 0


def test_openstack_port_serves_projects_quotas_compute_and_storage(world: World) -> None:
    port = WorldOpenStack(world)
    projects = run(port.list_projects())
    assert [p.name for p in projects] == ["analytics", "kubernetes"]
    quotas = run(port.project_quotas("kubernetes"))
    servers = run(port.list_servers(project_id="kubernetes"))
    assert quotas.instances.in_use == len(servers) == 2
    assert quotas.cores.in_use == 16 and quotas.cores.limit == 48 and not quotas.cores.exhausted
    assert quotas.volumes.in_use == 2
    hypervisors = run(port.list_hypervisors())
    assert len(hypervisors) == len(world.openstack.hypervisors)
    total = sum(h.vcpus_used for h in hypervisors)
    assert total == sum(world.openstack.flavor(s.flavor_id).vcpus for s in world.openstack.servers)
    server = run(port.get_server("k8s-worker-05"))
    assert server.status == "ACTIVE" and server.fault is None
    assert server.addresses == {"k8s-net": (world.node("k8s-worker-05").ip_address,)}
    assert run(port.get_hypervisor(server.hypervisor_hostname or "")).running_vms >= 1
    volume = run(port.get_volume("k8s-worker-05-data"))
    assert volume.status == "in-use" and volume.attachments[0].server_id == server.id
    assert server.volumes_attached == (volume.id,)
    assert [v.name for v in run(port.list_volumes(status="available"))] == ["backup-archive"]
    assert "k8s.worker" in {f.name for f in run(port.list_flavors())}
    assert all(i.status == "active" for i in run(port.list_images()))
    networks = run(port.list_networks(project_id="kubernetes"))
    assert [n.name for n in networks] == ["k8s-net", "public"]
    assert networks[0].subnets[0].cidr == "10.30.0.0/24"
    for project in projects:  # a healthy estate is within every quota
        usage = run(port.project_quotas(project.id))
        for quota in (usage.instances, usage.cores, usage.ram_mb, usage.volumes, usage.gigabytes):
            assert quota.in_use < quota.limit
    with pytest.raises(NotFound):
        run(port.get_server("nope"))


def test_openstack_port_shows_an_error_server_with_its_fault() -> None:
    world = World.build(7)
    server = world.openstack.server("spark-worker-02")
    server.status, server.power_state = "ERROR", "NOSTATE"
    server.fault_code, server.fault_message = 500, "No valid host was found."
    served = run(WorldOpenStack(world).list_servers(status="ERROR"))
    assert [s.name for s in served] == ["spark-worker-02"]
    assert served[0].fault is not None and served[0].fault.message == "No valid host was found."


def test_stackstorm_port_lists_runs_and_records_executions() -> None:
    world = World.build(7)
    port = WorldStackStorm(world, handlers={"core.noop": lambda _w, _p: {"ok": True}})
    assert {a.pack for a in run(port.list_actions(pack="kubernetes"))} == {"kubernetes"}
    action = run(port.get_action("kubernetes.set_memory_limit"))
    assert not action.read_only
    params = {"namespace": "payments", "deployment": "api", "memory_limit": "512Mi"}
    execution = run(port.run_action(action.ref, params, user="alice"))
    assert execution.status == "succeeded" and execution.start_timestamp == world.now()
    world.advance(timedelta(minutes=1))
    assert run(port.get_execution(execution.id)) == execution
    assert run(port.run_action("core.noop", {})).result == {"ok": True}
    with pytest.raises(InvalidRequest, match="required"):
        run(port.run_action(action.ref, {"namespace": "payments", "deployment": "api"}))
    with pytest.raises(InvalidRequest, match="type string"):
        run(port.run_action(action.ref, {**params, "memory_limit": 512}))
    with pytest.raises(NotFound):
        run(port.get_execution("0" * 24))
