"""The read side of OpenStack an agent needs: projects, quotas, compute, storage and networks.

Implementations raise `core.errors.NotFound` for an unknown id or name and
`core.errors.Unavailable` when the cloud cannot be reached; they return frozen DTOs only.
"""

from __future__ import annotations

from typing import Protocol

from connectors.openstack.models import (
    Flavor,
    Hypervisor,
    Image,
    Network,
    Project,
    ProjectQuotas,
    Server,
    ServerStatus,
    Volume,
    VolumeStatus,
)


class OpenStackPort(Protocol):
    """One OpenStack region, read through Keystone, Nova, Cinder, Glance and Neutron."""

    async def list_projects(self) -> list[Project]:
        """Every project, by name."""
        ...

    async def project_quotas(self, project_id: str) -> ProjectQuotas:
        """Compute and volume quotas of a project, with usage."""
        ...

    async def list_hypervisors(self) -> list[Hypervisor]:
        """Every compute host, by hostname."""
        ...

    async def get_hypervisor(self, hostname: str) -> Hypervisor:
        """One compute host by hostname (or id)."""
        ...

    async def list_servers(
        self,
        *,
        project_id: str | None = None,
        status: ServerStatus | None = None,
        hypervisor: str | None = None,
    ) -> list[Server]:
        """Servers, optionally of one project, in one status or on one hypervisor; by name."""
        ...

    async def get_server(self, server: str) -> Server:
        """One server by id or name, with its fault when in ERROR."""
        ...

    async def list_volumes(
        self, *, project_id: str | None = None, status: VolumeStatus | None = None
    ) -> list[Volume]:
        """Volumes, optionally of one project or in one status; by name."""
        ...

    async def get_volume(self, volume: str) -> Volume:
        """One volume by id or name."""
        ...

    async def list_flavors(self) -> list[Flavor]:
        """Every flavor, by name."""
        ...

    async def list_images(self) -> list[Image]:
        """Every image, by name."""
        ...

    async def list_networks(self, *, project_id: str | None = None) -> list[Network]:
        """Networks (with subnets) a project sees (its own and shared), or all; by name."""
        ...
