"""Faults of the OpenStack layer."""

from __future__ import annotations

from typing import Any

from lab.faults.node_failure import fail_node
from lab.world.metrics.openstack_state import (
    restate,
    server_status,
    server_status_labels,
    volume_status,
    volume_status_labels,
)
from lab.world.metrics.overlays import Hold, Overlay
from lab.world.openstack_estate import OsServer
from lab.world.world import World

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."
QUOTA_LIMITS = {"cores": "vcpus", "instances": "instances", "ram_mb": "memory"}
"""Quota resources the fault takes, and the exporter's name of each limit."""


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
    restate(world.metrics, server_status_labels(server), server_status(server), at=world.now())
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
    for match in (
        {"__name__": "openstack_hypervisor_cpu_usage_ratio", "hypervisor": hv.hostname},
        {"__name__": "openstack_nova_agent_state", "hostname": hv.hostname},
    ):
        world.metrics.overlay(Overlay(match, now, Hold(0.0), reason="openstack.hypervisor_down"))
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
    if resource not in QUOTA_LIMITS:
        raise ValueError(f"quota resource {resource!r} is none of {', '.join(QUOTA_LIMITS)}")
    limit = QUOTA_LIMITS[resource]
    used = world.openstack.usage(project.id)[limit]
    setattr(project, f"quota_{resource}", used)
    now = world.now()
    tenant = {"__name__": f"openstack_nova_limits_{limit}_max", "tenant_id": project.id}
    world.metrics.overlay(
        Overlay(tenant, now, Hold(float(used)), reason="openstack.quota_exhausted")
    )
    servers = [s for s in world.openstack.servers if s.project_id == project.id]
    flavor = world.openstack.flavor(servers[0].flavor_id) if servers else world.openstack.flavors[0]
    asked = {"cores": flavor.vcpus, "instances": 1, "ram_mb": flavor.ram_mb}[resource]
    name = str(params.get("server") or f"{project.name}-extra-01")
    refused = OsServer(
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
        f"used {used} of {used} {resource}",
        fault_at=now,
    )
    world.openstack.servers.append(refused)
    restate(world.metrics, server_status_labels(refused), server_status(refused), at=now)


def volume_stuck_attaching(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A volume is being attached to a server and never gets there.

    Param `server` (default: the first server of the volume's project). Cinder reads
    `attaching` toward it, with no attachment, and the exporter reports that status from now.
    """
    volume = next(v for v in world.openstack.volumes if target["volume"] in (v.id, v.name))
    if params.get("server"):
        server = world.openstack.server(str(params["server"]))
    else:
        server = next(s for s in world.openstack.servers if s.project_id == volume.project_id)
    volume.status, volume.server_id = "attaching", server.id
    volume.device, volume.updated = "/dev/vdc", world.now()
    restate(world.metrics, volume_status_labels(volume), volume_status(volume), at=world.now())
