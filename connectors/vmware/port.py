"""The read side of vSphere an agent needs: inventory, host and VM state, usage, datastores.

Implementations raise `core.errors.NotFound` for an unknown name and
`core.errors.Unavailable` when vCenter cannot be reached; they return frozen DTOs only.
"""

from __future__ import annotations

from typing import Protocol

from connectors.vmware.models import (
    ComputeCluster,
    Datacenter,
    Datastore,
    HostSystem,
    VirtualMachine,
)


class VSpherePort(Protocol):
    """One vCenter, read through its inventory and performance counters."""

    async def list_datacenters(self) -> list[Datacenter]:
        """Every datacenter, by name."""
        ...

    async def list_clusters(self, *, datacenter: str | None = None) -> list[ComputeCluster]:
        """Clusters, optionally of one datacenter; by name."""
        ...

    async def list_hosts(self, *, cluster: str | None = None) -> list[HostSystem]:
        """ESXi hosts, optionally of one cluster; by name."""
        ...

    async def get_host(self, name: str) -> HostSystem:
        """One ESXi host by name."""
        ...

    async def list_datastores(self, *, datacenter: str | None = None) -> list[Datastore]:
        """Datastores, optionally of one datacenter; by name."""
        ...

    async def get_datastore(self, name: str) -> Datastore:
        """One datastore by name."""
        ...

    async def list_vms(
        self, *, cluster: str | None = None, host: str | None = None
    ) -> list[VirtualMachine]:
        """VMs, optionally of one cluster or host; by name."""
        ...

    async def get_vm(self, name: str) -> VirtualMachine:
        """One VM by name (or instance UUID)."""
        ...
