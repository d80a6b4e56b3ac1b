"""Faults of the OpenStack layer."""

from __future__ import annotations

from typing import Any

from lab.faults.node_failure import fail_node
from lab.world.metrics.overlays import Hold, Overlay
from lab.world.openstack_estate import OsServer
from lab.world.world import World

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


def instance_error(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A server goes to ERROR with a fault message (`message`, default Nova's no-valid-host).

    Its status, power state and fault change now, and its CPU series reads 0 from now on.
    """
    server = world.openstack.server(target["server"])
    server.status, server.power_state, server.task_state = "ERROR", "NOSTATE", None
    server.fault_code = int(params.get("code", 500))
    server.fault_message = str(params.get("message", NO_VALID_HOST))
    server.fault_details = str(params.get("details", ""))
    server.fault_at = server.updated = world.now()
    world.metrics.overlay(
        Overlay(
            {"__name__": "openstack_instance_cpu_usage_ratio", "instance_id": server.id},
            world.now(),
            Hold(0.0),
            reason="openstack.instance_error",
        )
    )


def hypervisor_down(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A compute host fails: its nova-compute service is down and its servers with it.

    Nova still lists the servers ACTIVE (it cannot know better) with `host_status: DOWN`; the
    hypervisor's and the servers' series stop reporting; Kubernetes nodes on those servers go
    NotReady (`k8s.node_not_ready`).
    """
    del params
    hostname = target["hypervisor"]
    hv = next(h for h in world.openstack.hypervisors if hostname in (h.hostname, h.id))
    hv.state = "down"
    now = world.now()
    world.metrics.overlay(
        Overlay(
            {"__name__": "openstack_hypervisor_cpu_usage_ratio", "hypervisor": hv.hostname},
            now,
            Hold(0.0),
            reason="openstack.hypervisor_down",
        )
    )
    for server in [s for s in world.openstack.servers if s.hypervisor == hv.hostname]:
        for series in world.metrics.select(f'{{instance_id="{server.id}"}}'):
            if series.end is None:
                series.end = now
        if server.role == "k8s-worker":
            fail_node(world, server.name, reason="openstack.hypervisor_down")


def quota_exhausted(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A project's quota is used up and the next server it asks for is refused.

    Params: `resource` (cores, the default, instances or ram_mb), `server` (the refused
    server's name, default `<project>-extra-01`; it stays in ERROR with Nova's 403 fault).
    """
    project = world.openstack.project(target["project"])
    resource = str(params.get("resource", "cores"))
    servers = [s for s in world.openstack.servers if s.project_id == project.id]
    flavors = [world.openstack.flavor(s.flavor_id) for s in servers]
    used = {
        "cores": sum(f.vcpus for f in flavors),
        "instances": len(servers),
        "ram_mb": sum(f.ram_mb for f in flavors),
    }
    if resource not in used:
        raise KeyError(f"quota resource {resource!r}")
    setattr(project, f"quota_{resource}", used[resource])
    flavor = flavors[0] if flavors else world.openstack.flavors[0]
    asked = {"cores": flavor.vcpus, "instances": 1, "ram_mb": flavor.ram_mb}[resource]
    now = world.now()
    name = str(params.get("server") or f"{project.name}-extra-01")
    world.openstack.servers.append(
        OsServer(
            id=world.rng.uuid("server", name),
            name=name,
            project_id=project.id,
            flavor_id=flavor.id,
            image_id=world.openstack.images[0].id,
            hypervisor=None,
            network=servers[0].network if servers else "public",
            ip_address="",
            created=now,
            updated=now,
            role="refused",
            status="ERROR",
            power_state="NOSTATE",
            fault_code=403,
            fault_message=f"Quota exceeded for {resource}: Requested {asked}, but already "
            f"used {used[resource]} of {used[resource]} {resource}",
            fault_at=now,
        )
    )


def volume_stuck_attaching(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A volume is being attached to a server (`server`) and never gets there."""
    volume = next(v for v in world.openstack.volumes if target["volume"] in (v.id, v.name))
    server = world.openstack.server(str(params["server"]))
    volume.status, volume.server_id = "attaching", server.id
    volume.device, volume.updated = "/dev/vdc", world.now()
