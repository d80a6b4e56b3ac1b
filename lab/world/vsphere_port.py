"""`VSpherePort` over the world: the inventory as vCenter would report it now.

Usage figures are the metric series at the lab clock's instant, so a fault's overlay shows in
the port and in the metrics alike. A host that is not connected reports no usage, and its VMs
are `disconnected`, as vCenter shows them.
"""

from __future__ import annotations

from connectors.vmware.models import (
    ComputeCluster,
    Datacenter,
    Datastore,
    HostSystem,
    OverallStatus,
    VirtualMachine,
)
from core.errors import NotFound
from lab.world.vsphere_estate import EsxiHost, VSphereVm
from lab.world.world import World

_RANK: dict[OverallStatus, int] = {"gray": 0, "green": 1, "yellow": 2, "red": 3}


class WorldVSphere:
    """The world's vCenter."""

    def __init__(self, world: World) -> None:
        self._world = world

    def _gauge(self, name: str, **labels: str) -> float:
        value = self._world.metrics.current(name, self._world.now(), **labels)
        return value if value is not None else 0.0

    def _host_status(self, host: EsxiHost) -> OverallStatus:
        if host.connection_state != "connected":
            return "red"
        cpu = self._gauge("vsphere_host_cpu_usage_ratio", host=host.name)
        memory = self._gauge("vsphere_host_memory_usage_ratio", host=host.name)
        return "yellow" if cpu > 0.85 or memory > 0.9 else "green"

    def _host(self, host: EsxiHost) -> HostSystem:
        connected = host.connection_state == "connected"
        capacity_mhz = host.cpu_cores * host.cpu_mhz_per_core
        cpu = self._gauge("vsphere_host_cpu_usage_ratio", host=host.name) if connected else 0.0
        mem = self._gauge("vsphere_host_memory_usage_ratio", host=host.name) if connected else 0.0
        return HostSystem(
            moref=host.moref,
            name=host.name,
            datacenter=host.datacenter,
            cluster=host.cluster,
            connection_state=host.connection_state,
            power_state=host.power_state if connected else "unknown",
            in_maintenance_mode=host.in_maintenance_mode,
            overall_status=self._host_status(host),
            esxi_version=host.esxi_version,
            cpu_cores=host.cpu_cores,
            cpu_mhz_per_core=host.cpu_mhz_per_core,
            cpu_capacity_mhz=capacity_mhz,
            cpu_usage_mhz=round(cpu * capacity_mhz),
            memory_capacity_bytes=host.memory_bytes,
            memory_usage_bytes=round(mem * host.memory_bytes),
            datastores=tuple(sorted(host.datastores)),
            vms=tuple(sorted(vm.name for vm in self._world.vsphere.vms if vm.host == host.name)),
        )

    def _vm(self, vm: VSphereVm) -> VirtualMachine:
        host = self._world.vsphere.host(vm.host)
        reachable = host.connection_state == "connected"
        running = vm.power_state == "poweredOn" and reachable
        cpu = self._gauge("vsphere_vm_cpu_usage_ratio", vm=vm.name) if running else 0.0
        ready = self._gauge("vsphere_vm_cpu_ready_ratio", vm=vm.name) if running else 0.0
        memory = self._gauge("vsphere_vm_memory_usage_ratio", vm=vm.name) if running else 0.0
        return VirtualMachine(
            moref=vm.moref,
            name=vm.name,
            instance_uuid=vm.instance_uuid,
            datacenter=vm.datacenter,
            cluster=vm.cluster,
            host=vm.host,
            power_state=vm.power_state,
            connection_state=host.connection_state,
            overall_status="green" if reachable else "gray",
            guest_os=vm.guest_os,
            guest_hostname=vm.name if running else None,
            ip_address=vm.ip_address if running else None,
            num_cpu=vm.num_cpu,
            memory_mb=vm.memory_mb,
            cpu_usage_mhz=round(cpu * vm.num_cpu * host.cpu_mhz_per_core),
            cpu_ready_ratio=ready,
            memory_usage_bytes=round(memory * vm.memory_mb * 1024 * 1024),
            datastores=(vm.datastore,),
        )

    async def list_datacenters(self) -> list[Datacenter]:
        """The one datacenter of the lab."""
        estate = self._world.vsphere
        return [Datacenter(moref=estate.datacenter_moref, name=estate.datacenter)]

    async def list_clusters(self, *, datacenter: str | None = None) -> list[ComputeCluster]:
        """Clusters, optionally of one datacenter."""
        estate = self._world.vsphere
        found = []
        for cluster in estate.clusters:
            if datacenter is not None and cluster.datacenter != datacenter:
                continue
            hosts = [h for h in estate.hosts if h.cluster == cluster.name]
            status = max((self._host_status(h) for h in hosts), key=_RANK.__getitem__)
            found.append(
                ComputeCluster(
                    moref=cluster.moref,
                    name=cluster.name,
                    datacenter=cluster.datacenter,
                    hosts=tuple(sorted(h.name for h in hosts)),
                    drs_enabled=cluster.drs_enabled,
                    ha_enabled=cluster.ha_enabled,
                    overall_status=status,
                )
            )
        return sorted(found, key=lambda c: c.name)

    async def list_hosts(self, *, cluster: str | None = None) -> list[HostSystem]:
        """ESXi hosts, optionally of one cluster."""
        hosts = self._world.vsphere.hosts
        return sorted(
            (self._host(h) for h in hosts if cluster is None or h.cluster == cluster),
            key=lambda h: h.name,
        )

    async def get_host(self, name: str) -> HostSystem:
        """One ESXi host by name."""
        try:
            return self._host(self._world.vsphere.host(name))
        except KeyError:
            raise NotFound(f"vSphere: no ESXi host named {name!r}") from None

    async def list_datastores(self, *, datacenter: str | None = None) -> list[Datastore]:
        """Datastores, optionally of one datacenter."""
        found = [
            await self.get_datastore(ds.name)
            for ds in self._world.vsphere.datastores
            if datacenter is None or ds.datacenter == datacenter
        ]
        return sorted(found, key=lambda d: d.name)

    async def get_datastore(self, name: str) -> Datastore:
        """One datastore by name, with its free space now."""
        try:
            ds = self._world.vsphere.datastore(name)
        except KeyError:
            raise NotFound(f"vSphere: no datastore named {name!r}") from None
        free = self._gauge("vsphere_datastore_free_bytes", datastore=ds.name)
        return Datastore(
            moref=ds.moref,
            name=ds.name,
            datacenter=ds.datacenter,
            type=ds.type,
            capacity_bytes=ds.capacity_bytes,
            free_bytes=min(ds.capacity_bytes, max(0, round(free))),
            accessible=ds.accessible,
            hosts=tuple(ds.hosts),
        )

    async def list_vms(
        self, *, cluster: str | None = None, host: str | None = None
    ) -> list[VirtualMachine]:
        """VMs, optionally of one cluster or one host."""
        return sorted(
            (
                self._vm(vm)
                for vm in self._world.vsphere.vms
                if (cluster is None or vm.cluster == cluster) and (host is None or vm.host == host)
            ),
            key=lambda v: v.name,
        )

    async def get_vm(self, name: str) -> VirtualMachine:
        """One VM by name or instance UUID."""
        for vm in self._world.vsphere.vms:
            if name in (vm.name, vm.instance_uuid):
                return self._vm(vm)
        raise NotFound(f"vSphere: no virtual machine named {name!r}")
