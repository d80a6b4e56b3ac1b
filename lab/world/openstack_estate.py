"""The OpenStack side of the estate: one region, two projects, hypervisors and their servers.

Mutable dataclasses, changed by faults (a hypervisor goes down, a server turns ERROR with a
fault message, a volume sticks in `attaching`). Quota usage is computed from what exists,
as Nova and Cinder do, so a fault that adds servers or volumes moves it without bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectors.openstack.models import (
    HypervisorState,
    HypervisorStatus,
    ServerPowerState,
    ServerStatus,
    VolumeStatus,
)
from lab.world.randomness import Keyed

K8S_PROJECT = "kubernetes"
DATA_PROJECT = "analytics"
DATA_SERVERS = ("spark-master-01", "spark-worker-01", "spark-worker-02", "spark-worker-03")


@dataclass(frozen=True)
class OsFlavor:
    """A Nova flavor."""

    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int


@dataclass(frozen=True)
class OsImage:
    """A Glance image."""

    id: str
    name: str
    disk_format: str
    size_bytes: int
    min_disk_gb: int


@dataclass(frozen=True)
class OsNetwork:
    """A Neutron network with one subnet (`cidr` empty for the external network)."""

    id: str
    name: str
    project_id: str
    subnet_id: str
    cidr: str
    shared: bool = False
    external: bool = False


@dataclass
class OsProject:
    """A project and its quota limits (-1: unlimited)."""

    id: str
    name: str
    description: str
    quota_instances: int
    quota_cores: int
    quota_ram_mb: int
    quota_volumes: int
    quota_gigabytes: int


@dataclass
class OsHypervisor:
    """A compute host: hardware and service state."""

    id: str
    hostname: str
    host_ip: str
    vcpus: int
    memory_mb: int
    local_gb: int
    state: HypervisorState = "up"
    status: HypervisorStatus = "enabled"
    disabled_reason: str | None = None


@dataclass
class OsServer:
    """A Nova server; `fault_*` are set when it is in ERROR."""

    id: str
    name: str
    project_id: str
    flavor_id: str
    image_id: str
    hypervisor: str | None
    network: str
    ip_address: str
    created: datetime
    updated: datetime
    role: str
    """`k8s-worker`, `analytics`, or `refused` (a server a fault made Nova refuse)."""
    status: ServerStatus = "ACTIVE"
    power_state: ServerPowerState = "RUNNING"
    task_state: str | None = None
    fault_code: int | None = None
    fault_message: str | None = None
    fault_details: str = ""
    fault_at: datetime | None = None


@dataclass
class OsVolume:
    """A Cinder volume and where it is attached."""

    id: str
    name: str
    project_id: str
    size_gb: int
    volume_type: str
    created: datetime
    updated: datetime
    status: VolumeStatus = "available"
    server_id: str | None = None
    device: str | None = None
    bootable: bool = False


@dataclass
class OpenStackEstate:
    """One region: projects, hypervisors, flavors, images, networks, servers and volumes."""

    region: str
    projects: list[OsProject] = field(default_factory=list)
    hypervisors: list[OsHypervisor] = field(default_factory=list)
    flavors: list[OsFlavor] = field(default_factory=list)
    images: list[OsImage] = field(default_factory=list)
    networks: list[OsNetwork] = field(default_factory=list)
    servers: list[OsServer] = field(default_factory=list)
    volumes: list[OsVolume] = field(default_factory=list)

    def project(self, name_or_id: str) -> OsProject:
        """A project by name or id (KeyError when none)."""
        for project in self.projects:
            if name_or_id in (project.id, project.name):
                return project
        raise KeyError(name_or_id)

    def server(self, name_or_id: str) -> OsServer:
        """A server by name or id (KeyError when none)."""
        for server in self.servers:
            if name_or_id in (server.id, server.name):
                return server
        raise KeyError(name_or_id)

    def usage(self, project_id: str) -> dict[str, int]:
        """What a project's servers use: `vcpus`, `instances`, `memory` (MiB), as Nova counts.

        A server Nova refused (`role` refused) uses nothing.
        """
        servers = [s for s in self.servers if s.project_id == project_id and s.role != "refused"]
        flavors = [self.flavor(s.flavor_id) for s in servers]
        return {
            "vcpus": sum(f.vcpus for f in flavors),
            "instances": len(servers),
            "memory": sum(f.ram_mb for f in flavors),
        }

    def flavor(self, flavor_id: str) -> OsFlavor:
        """A flavor by id or name (KeyError when none)."""
        for flavor in self.flavors:
            if flavor_id in (flavor.id, flavor.name):
                return flavor
        raise KeyError(flavor_id)


def build_openstack(
    rng: Keyed, *, now: datetime, k8s_servers: list[tuple[str, str]]
) -> OpenStackEstate:
    """Lay out the region; `k8s_servers` lists (name, flavor name) of the cluster's instances."""
    estate = OpenStackEstate(region=rng.choice(("RegionOne", "region-1", "eu-lab-1"), "region"))
    estate.flavors = [
        OsFlavor(rng.uuid("flavor", name), name, cpus, ram, disk)
        for name, cpus, ram, disk in (
            ("m1.small", 1, 2048, 20),
            ("m1.medium", 2, 4096, 40),
            ("m1.large", 4, 8192, 80),
            ("m1.xlarge", 8, 16384, 160),
            ("k8s.worker", 8, 32768, 100),
        )
    ]
    estate.images = [
        OsImage(rng.uuid("image", name), name, fmt, size_mb * 1024**2, min_disk)
        for name, fmt, size_mb, min_disk in (
            ("ubuntu-22.04", "qcow2", 660, 10),
            ("ubuntu-24.04", "qcow2", 590, 10),
            ("debian-12", "qcow2", 420, 8),
            ("flatcar-stable", "raw", 1024, 10),
        )
    ]
    for name, description, cores in (
        (K8S_PROJECT, "Kubernetes worker nodes", 48),
        (DATA_PROJECT, "Batch analytics (Spark)", 40),
    ):
        estate.projects.append(
            OsProject(
                id=rng.hex(32, "project", name),
                name=name,
                description=description,
                quota_instances=10,
                quota_cores=cores,
                quota_ram_mb=cores * 4096,
                quota_volumes=10,
                quota_gigabytes=rng.choice((1000, 1500, 2000), "quota", name),
            )
        )
    k8s_id, data_id = estate.projects[0].id, estate.projects[1].id
    estate.networks = [
        OsNetwork(
            rng.uuid("net", "public"),
            "public",
            "admin",
            rng.uuid("sub", "public"),
            "",
            shared=True,
            external=True,
        ),
        OsNetwork(
            rng.uuid("net", "k8s"), "k8s-net", k8s_id, rng.uuid("sub", "k8s"), "10.30.0.0/24"
        ),
        OsNetwork(
            rng.uuid("net", "data"),
            "analytics-net",
            data_id,
            rng.uuid("sub", "data"),
            "10.31.0.0/24",
        ),
    ]
    count = rng.integer(3, 4, "hypervisors")
    estate.hypervisors = [
        OsHypervisor(
            id=rng.uuid("hypervisor", index),
            hostname=f"cmp-{index:02d}.{estate.region.lower()}.lab.internal",
            host_ip=f"10.40.0.{10 + index}",
            vcpus=64,
            memory_mb=262144,
            local_gb=1800,
        )
        for index in range(1, count + 1)
    ]
    servers = [(n, f, K8S_PROJECT, "k8s-net") for n, f in k8s_servers]
    servers += [
        (n, "m1.xlarge" if "master" in n else "m1.large", DATA_PROJECT, "analytics-net")
        for n in DATA_SERVERS
    ]
    for index, (name, flavor, project, network) in enumerate(servers):
        _add_server(
            rng,
            estate,
            now=now,
            index=index,
            name=name,
            flavor=flavor,
            project=project,
            network=network,
        )
    archive_created = now - timedelta(days=rng.integer(20, 90, "archive"))
    estate.volumes.append(
        OsVolume(
            rng.uuid("volume", "archive"),
            "backup-archive",
            data_id,
            200,
            "standard",
            archive_created,
            archive_created,
        )
    )
    for tenant in estate.projects:  # room to grow: a healthy estate is within its quotas
        used = sum(v.size_gb for v in estate.volumes if v.project_id == tenant.id)
        tenant.quota_gigabytes = max(tenant.quota_gigabytes, -(-used * 3 // 2 // 500) * 500)
    return estate


def _add_server(
    rng: Keyed,
    estate: OpenStackEstate,
    *,
    now: datetime,
    index: int,
    name: str,
    flavor: str,
    project: str,
    network: str,
) -> None:
    created = now - timedelta(days=rng.integer(10, 60, "server", name, "age"), minutes=index)
    hypervisor = estate.hypervisors[index % len(estate.hypervisors)].hostname
    subnet = 10 if network == "k8s-net" else 20
    server = OsServer(
        id=rng.uuid("server", name),
        name=name,
        project_id=estate.project(project).id,
        flavor_id=estate.flavor(flavor).id,
        image_id=estate.images[0].id,
        hypervisor=hypervisor,
        network=network,
        ip_address=f"10.{30 if network == 'k8s-net' else 31}.0.{subnet + index}",
        created=created,
        updated=created + timedelta(minutes=2),
        role="k8s-worker" if project == K8S_PROJECT else "analytics",
    )
    estate.servers.append(server)
    size = 100 if project == K8S_PROJECT else rng.choice((100, 200, 250), "volume", name)
    estate.volumes.append(
        OsVolume(
            id=rng.uuid("volume", name),
            name=f"{name}-data",
            project_id=server.project_id,
            size_gb=size,
            volume_type="ceph-ssd",
            created=created,
            updated=created + timedelta(minutes=3),
            status="in-use",
            server_id=server.id,
            device="/dev/vdb",
        )
    )
