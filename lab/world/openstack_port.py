"""`OpenStackPort` over the world: projects, quotas and usage, compute, storage and networks.

Usage is computed from what exists (as Nova's and Cinder's quota usage is), and hypervisor
CPU utilisation is its metric series at the lab clock's instant.
"""

from __future__ import annotations

from typing import Literal

from connectors.openstack.models import (
    Flavor,
    Hypervisor,
    Image,
    Network,
    Project,
    ProjectQuotas,
    QuotaUsage,
    Server,
    ServerFault,
    ServerStatus,
    Subnet,
    Volume,
    VolumeAttachment,
    VolumeStatus,
)
from core.errors import NotFound
from lab.world.openstack_estate import OsHypervisor, OsProject, OsServer, OsVolume
from lab.world.world import World

HOST_RESERVED_MEMORY_MB = 512
"""Nova's `reserved_host_memory_mb`, counted in a hypervisor's `memory_mb_used`."""


class WorldOpenStack:
    """The world's OpenStack region."""

    def __init__(self, world: World) -> None:
        self._world = world

    async def list_projects(self) -> list[Project]:
        """Every project."""
        return sorted(
            (
                Project(id=p.id, name=p.name, description=p.description)
                for p in self._world.openstack.projects
            ),
            key=lambda p: p.name,
        )

    def _project(self, project_id: str) -> OsProject:
        """A project by id or name; NotFound names it."""
        try:
            return self._world.openstack.project(project_id)
        except KeyError:
            raise NotFound(f"OpenStack: no project {project_id!r}") from None

    async def project_quotas(self, project_id: str) -> ProjectQuotas:
        """Quotas of a project (by id or name) with what its servers and volumes use."""
        estate = self._world.openstack
        project = self._project(project_id)
        used = estate.usage(project.id)
        volumes = [v for v in estate.volumes if v.project_id == project.id]
        return ProjectQuotas(
            project_id=project.id,
            instances=QuotaUsage(limit=project.quota_instances, in_use=used["instances"]),
            cores=QuotaUsage(limit=project.quota_cores, in_use=used["vcpus"]),
            ram_mb=QuotaUsage(limit=project.quota_ram_mb, in_use=used["memory"]),
            volumes=QuotaUsage(limit=project.quota_volumes, in_use=len(volumes)),
            gigabytes=QuotaUsage(
                limit=project.quota_gigabytes, in_use=sum(v.size_gb for v in volumes)
            ),
        )

    def _hypervisor(self, hv: OsHypervisor) -> Hypervisor:
        estate = self._world.openstack
        servers = [s for s in estate.servers if s.hypervisor == hv.hostname]
        flavors = [estate.flavor(s.flavor_id) for s in servers]
        cpu = self._world.metrics.current(
            "openstack_hypervisor_cpu_usage_ratio", self._world.now(), hypervisor=hv.hostname
        )
        return Hypervisor(
            id=hv.id,
            hostname=hv.hostname,
            state=hv.state,
            status=hv.status,
            disabled_reason=hv.disabled_reason,
            host_ip=hv.host_ip,
            vcpus=hv.vcpus,
            vcpus_used=sum(f.vcpus for f in flavors),
            memory_mb=hv.memory_mb,
            memory_mb_used=HOST_RESERVED_MEMORY_MB + sum(f.ram_mb for f in flavors),
            local_gb=hv.local_gb,
            local_gb_used=sum(f.disk_gb for f in flavors),
            running_vms=sum(1 for s in servers if s.power_state == "RUNNING"),
            cpu_usage_ratio=(cpu or 0.0) if hv.state == "up" else 0.0,
        )

    async def list_hypervisors(self) -> list[Hypervisor]:
        """Every compute host."""
        return sorted(
            (self._hypervisor(h) for h in self._world.openstack.hypervisors),
            key=lambda h: h.hostname,
        )

    async def get_hypervisor(self, hostname: str) -> Hypervisor:
        """One compute host by hostname or id."""
        for hv in self._world.openstack.hypervisors:
            if hostname in (hv.hostname, hv.id):
                return self._hypervisor(hv)
        raise NotFound(f"OpenStack: no hypervisor {hostname!r}")

    def _server(self, server: OsServer) -> Server:
        fault = None
        if server.fault_message is not None:
            fault = ServerFault(
                code=server.fault_code or 500,
                message=server.fault_message,
                created=server.fault_at or server.updated,
                details=server.fault_details,
            )
        attached = sorted(
            v.id
            for v in self._world.openstack.volumes
            if v.server_id == server.id and v.status in ("in-use", "detaching")
        )
        host = next(
            (h for h in self._world.openstack.hypervisors if h.hostname == server.hypervisor),
            None,
        )
        host_status: Literal["UP", "DOWN", "MAINTENANCE", ""] = ""
        if host is not None:
            host_status = (
                "DOWN"
                if host.state == "down"
                else "MAINTENANCE"
                if host.status == "disabled"
                else "UP"
            )
        return Server(
            id=server.id,
            name=server.name,
            project_id=server.project_id,
            status=server.status,
            task_state=server.task_state,
            power_state=server.power_state,
            flavor_id=server.flavor_id,
            image_id=server.image_id,
            hypervisor_hostname=server.hypervisor,
            host_status=host_status,
            addresses={server.network: (server.ip_address,)},
            volumes_attached=tuple(attached),
            created=server.created,
            updated=server.updated,
            fault=fault,
        )

    async def list_servers(
        self,
        *,
        project_id: str | None = None,
        status: ServerStatus | None = None,
        hypervisor: str | None = None,
    ) -> list[Server]:
        """Servers, filtered by project (id or name), status and hypervisor."""
        estate = self._world.openstack
        project = None if project_id is None else self._project(project_id).id
        return sorted(
            (
                self._server(s)
                for s in estate.servers
                if (project is None or s.project_id == project)
                and (status is None or s.status == status)
                and (hypervisor is None or s.hypervisor == hypervisor)
            ),
            key=lambda s: s.name,
        )

    async def get_server(self, server: str) -> Server:
        """One server by id or name."""
        try:
            return self._server(self._world.openstack.server(server))
        except KeyError:
            raise NotFound(f"OpenStack: no server {server!r}") from None

    def _volume(self, volume: OsVolume) -> Volume:
        attachments: tuple[VolumeAttachment, ...] = ()
        if volume.server_id is not None and volume.status in ("in-use", "detaching"):
            attachments = (
                VolumeAttachment(
                    server_id=volume.server_id,
                    device=volume.device or "/dev/vdb",
                    attached_at=volume.updated,
                ),
            )
        return Volume(
            id=volume.id,
            name=volume.name,
            project_id=volume.project_id,
            status=volume.status,
            size_gb=volume.size_gb,
            volume_type=volume.volume_type,
            bootable=volume.bootable,
            attachments=attachments,
            created_at=volume.created,
            updated_at=volume.updated,
        )

    async def list_volumes(
        self, *, project_id: str | None = None, status: VolumeStatus | None = None
    ) -> list[Volume]:
        """Volumes, filtered by project (id or name) and status."""
        estate = self._world.openstack
        project = None if project_id is None else self._project(project_id).id
        return sorted(
            (
                self._volume(v)
                for v in estate.volumes
                if (project is None or v.project_id == project)
                and (status is None or v.status == status)
            ),
            key=lambda v: v.name,
        )

    async def get_volume(self, volume: str) -> Volume:
        """One volume by id or name."""
        for candidate in self._world.openstack.volumes:
            if volume in (candidate.id, candidate.name):
                return self._volume(candidate)
        raise NotFound(f"OpenStack: no volume {volume!r}")

    async def list_flavors(self) -> list[Flavor]:
        """Every flavor."""
        return sorted(
            (
                Flavor(id=f.id, name=f.name, vcpus=f.vcpus, ram_mb=f.ram_mb, disk_gb=f.disk_gb)
                for f in self._world.openstack.flavors
            ),
            key=lambda f: f.name,
        )

    async def list_images(self) -> list[Image]:
        """Every image."""
        return sorted(
            (
                Image(
                    id=i.id,
                    name=i.name,
                    status="active",
                    disk_format=i.disk_format,
                    size_bytes=i.size_bytes,
                    min_disk_gb=i.min_disk_gb,
                )
                for i in self._world.openstack.images
            ),
            key=lambda i: i.name,
        )

    async def list_networks(self, *, project_id: str | None = None) -> list[Network]:
        """Networks a project sees (its own and shared ones), or all."""
        estate = self._world.openstack
        project = None if project_id is None else self._project(project_id).id
        found = []
        for net in estate.networks:
            if project is not None and net.project_id != project and not net.shared:
                continue
            subnets: tuple[Subnet, ...] = ()
            if net.cidr:
                gateway = net.cidr.rsplit(".", 1)[0] + ".1"
                subnets = (
                    Subnet(
                        id=net.subnet_id,
                        name=f"{net.name}-subnet",
                        cidr=net.cidr,
                        gateway_ip=gateway,
                    ),
                )
            found.append(
                Network(
                    id=net.id,
                    name=net.name,
                    project_id=net.project_id,
                    status="ACTIVE",
                    shared=net.shared,
                    external=net.external,
                    subnets=subnets,
                )
            )
        return sorted(found, key=lambda n: n.name)
