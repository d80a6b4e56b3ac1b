"""What openstack-exporter reports about the region's state, named and labelled as it does.

Nova's services (`openstack_nova_agent_state`: 1 while up), each project's compute limits
(`openstack_nova_limits_{vcpus,instances,memory}_{max,used}`), each server's status
(`openstack_nova_server_status`) and each volume's (`openstack_cinder_volume_status`). The
exporter puts a status in a label and codes it in the value (its index in the exporter's list),
so when a status changes, the old status's series ends and the new one's starts: `restate`.
"""

from __future__ import annotations

from datetime import datetime

from lab.world.metrics.series import Shape
from lab.world.metrics.store import MetricStore
from lab.world.openstack_estate import OpenStackEstate, OsServer, OsVolume

SERVER_STATUSES = (
    "ACTIVE",
    "BUILD",
    "BUILD(spawning)",
    "DELETED",
    "ERROR",
    "HARD_REBOOT",
    "MIGRATING",
    "PASSWORD",
    "PAUSED",
    "REBOOT",
    "REBUILD",
    "RESCUE",
    "RESIZE",
    "REVERT_RESIZE",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "SHUTOFF",
    "SOFT_DELETED",
    "SUSPENDED",
    "UNKNOWN",
    "VERIFY_RESIZE",
)
"""openstack-exporter's server statuses; `openstack_nova_server_status` is the index."""
VOLUME_STATUSES = (
    "creating",
    "available",
    "reserved",
    "attaching",
    "detaching",
    "in-use",
    "maintenance",
    "deleting",
    "awaiting-transfer",
    "error",
    "error_deleting",
    "backing-up",
    "restoring-backup",
    "error_backing-up",
    "error_restoring",
    "error_extending",
    "downloading",
    "uploading",
    "retyping",
    "extending",
)
"""openstack-exporter's volume statuses; `openstack_cinder_volume_status` is the index."""
LIMITS = ("vcpus", "instances", "memory")


def define_openstack_state(
    metrics: MetricStore, estate: OpenStackEstate, *, since: datetime
) -> None:
    """The state series of a freshly built region (services and limits since `since`)."""
    for hv in estate.hypervisors:
        metrics.define(
            {
                "__name__": "openstack_nova_agent_state",
                "adminState": hv.status,
                "disabledReason": hv.disabled_reason or "",
                "hostname": hv.hostname,
                "id": hv.id,
                "service": "nova-compute",
                "zone": "nova",
            },
            _constant(1.0),
            start=since,
        )
    for project in estate.projects:
        labels = {"tenant": project.name, "tenant_id": project.id}
        used = estate.usage(project.id)
        for limit in LIMITS:
            metrics.define(
                {"__name__": f"openstack_nova_limits_{limit}_max", **labels},
                _constant(float(quota_of(estate, project.id, limit))),
                start=since,
            )
            metrics.define(
                {"__name__": f"openstack_nova_limits_{limit}_used", **labels},
                _constant(float(used[limit])),
                start=since,
            )
    for server in estate.servers:
        restate(metrics, server_status_labels(server), server_status(server), at=server.created)
    for volume in estate.volumes:
        restate(metrics, volume_status_labels(volume), volume_status(volume), at=volume.created)


def quota_of(estate: OpenStackEstate, project_id: str, limit: str) -> int:
    """A project's quota for one of `LIMITS`."""
    project = estate.project(project_id)
    return {
        "vcpus": project.quota_cores,
        "instances": project.quota_instances,
        "memory": project.quota_ram_mb,
    }[limit]


def server_status_labels(server: OsServer) -> dict[str, str]:
    """`openstack_nova_server_status`'s labels for the server as it is now."""
    return {
        "__name__": "openstack_nova_server_status",
        "availability_zone": "nova",
        "flavor_id": server.flavor_id,
        "hypervisor_hostname": server.hypervisor or "",
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": server.project_id,
    }


def server_status(server: OsServer) -> float:
    """The exporter's code of the server's status."""
    return float(SERVER_STATUSES.index(server.status))


def volume_status_labels(volume: OsVolume) -> dict[str, str]:
    """`openstack_cinder_volume_status`'s labels for the volume as it is now."""
    return {
        "__name__": "openstack_cinder_volume_status",
        "bootable": str(volume.bootable).lower(),
        "id": volume.id,
        "name": volume.name,
        "server_id": volume.server_id or "",
        "size": str(volume.size_gb),
        "status": volume.status,
        "tenant_id": volume.project_id,
        "volume_type": volume.volume_type,
    }


def volume_status(volume: OsVolume) -> float:
    """The exporter's code of the volume's status."""
    return float(VOLUME_STATUSES.index(volume.status))


def restate(metrics: MetricStore, labels: dict[str, str], value: float, *, at: datetime) -> None:
    """From `at`, the object's series (same name and `id`) is the one with `labels`.

    The series the exporter stops reporting (the old status) end at `at`. A status series
    lives once: an object that went back to a status it had before would need a second life
    of that series, which the lab does not model (no fault or remediation does that yet).
    """
    identity = f'{labels["__name__"]}{{id="{labels["id"]}"}}'
    current = [s for s in metrics.select(identity) if s.end is None]
    if any(s.labels == labels for s in current):
        return
    for series in current:
        series.end = at
    metrics.define(labels, _constant(value), start=at)


def _constant(value: float) -> Shape:
    return Shape(base=value, low=min(value, 0.0), high=max(value, 0.0), integer=True)
