"""OpenStack faults: a failed hypervisor (and its cascade), an exhausted quota, a stuck volume."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lab.faults.catalog import apply_fault
from lab.world.openstack_port import WorldOpenStack
from lab.world.world import World


def test_a_failed_hypervisor_keeps_its_servers_active_with_host_down_and_fails_their_nodes() -> (
    None
):
    world = World.build(7)
    worker = world.openstack.server("k8s-worker-05")
    apply_fault(world, "openstack.hypervisor_down", {"hypervisor": worker.hypervisor or ""})
    world.advance(timedelta(minutes=2))
    port = WorldOpenStack(world)
    hv = asyncio.run(port.get_hypervisor(worker.hypervisor or ""))
    assert hv.state == "down" and hv.cpu_usage_ratio == 0.0
    server = asyncio.run(port.get_server("k8s-worker-05"))
    assert server.status == "ACTIVE" and server.host_status == "DOWN"
    node = world.kube.get("nodes", "k8s-worker-05")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "Unknown"
    others = [s for s in world.openstack.servers if s.hypervisor != worker.hypervisor]
    assert others
    assert all(asyncio.run(port.get_server(s.id)).host_status == "UP" for s in others)


def test_an_exhausted_quota_refuses_the_next_server() -> None:
    world = World.build(7)
    apply_fault(world, "openstack.quota_exhausted", {"project": "analytics"})
    port = WorldOpenStack(world)
    quotas = asyncio.run(port.project_quotas("analytics"))
    assert quotas.cores.exhausted and quotas.cores.in_use == quotas.cores.limit
    refused = asyncio.run(port.list_servers(project_id="analytics", status="ERROR"))
    assert [s.name for s in refused] == ["analytics-extra-01"]
    assert refused[0].fault is not None and refused[0].fault.code == 403
    assert refused[0].fault.message.startswith("Quota exceeded for cores: Requested")
    assert refused[0].hypervisor_hostname is None


def test_a_volume_stuck_attaching_shows_no_attachment() -> None:
    world = World.build(7)
    apply_fault(
        world,
        "openstack.volume_stuck_attaching",
        {"volume": "backup-archive"},
        {"server": "spark-master-01"},
    )
    port = WorldOpenStack(world)
    volume = asyncio.run(port.get_volume("backup-archive"))
    assert volume.status == "attaching" and volume.attachments == ()
    assert asyncio.run(port.list_volumes(status="attaching")) == [volume]
    server = asyncio.run(port.get_server("spark-master-01"))
    assert volume.id not in server.volumes_attached
