"""DTOs of the vSphere port: the vCenter inventory with state and usage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConnectionState = Literal["connected", "disconnected", "notResponding"]
PowerState = Literal["poweredOn", "poweredOff", "standBy", "suspended", "unknown"]
OverallStatus = Literal["green", "yellow", "red", "gray"]
DatastoreType = Literal["VMFS", "NFS", "vsan"]


class _Dto(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Datacenter(_Dto):
    """A vSphere datacenter."""

    moref: str
    name: str


class ComputeCluster(_Dto):
    """A cluster of ESXi hosts (a `ClusterComputeResource`)."""

    moref: str
    name: str
    datacenter: str
    hosts: tuple[str, ...]
    """Host names, sorted."""
    drs_enabled: bool
    ha_enabled: bool
    overall_status: OverallStatus


class HostSystem(_Dto):
    """An ESXi host: state, capacity and current usage."""

    moref: str
    name: str
    datacenter: str
    cluster: str
    connection_state: ConnectionState
    power_state: PowerState
    in_maintenance_mode: bool
    overall_status: OverallStatus
    esxi_version: str
    cpu_cores: int
    cpu_mhz_per_core: int
    cpu_capacity_mhz: int
    cpu_usage_mhz: int
    memory_capacity_bytes: int
    memory_usage_bytes: int
    datastores: tuple[str, ...]
    vms: tuple[str, ...]
    """Names of the VMs registered on the host, sorted."""


class Datastore(_Dto):
    """A datastore: capacity, free space, and the hosts that mount it."""

    moref: str
    name: str
    datacenter: str
    type: DatastoreType
    capacity_bytes: int
    free_bytes: int = Field(ge=0)
    accessible: bool
    hosts: tuple[str, ...]


class VirtualMachine(_Dto):
    """A virtual machine: where it runs, its power state and usage."""

    moref: str
    name: str
    instance_uuid: str
    datacenter: str
    cluster: str
    host: str
    power_state: PowerState
    connection_state: ConnectionState
    overall_status: OverallStatus
    guest_os: str
    guest_hostname: str | None
    ip_address: str | None
    num_cpu: int
    memory_mb: int
    cpu_usage_mhz: int
    cpu_ready_ratio: float = Field(ge=0.0, le=1.0)
    """Share of time the VM's vCPUs were ready to run but waited for a physical CPU."""
    memory_usage_bytes: int
    datastores: tuple[str, ...]
