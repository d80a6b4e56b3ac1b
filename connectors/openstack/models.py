"""DTOs of the OpenStack port: what Keystone, Nova, Cinder, Glance and Neutron report."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ServerStatus = Literal[
    "ACTIVE", "BUILD", "ERROR", "SHUTOFF", "PAUSED", "SUSPENDED", "REBOOT", "MIGRATING", "DELETED"
]
ServerPowerState = Literal["RUNNING", "SHUTDOWN", "PAUSED", "CRASHED", "NOSTATE"]
HypervisorState = Literal["up", "down"]
HypervisorStatus = Literal["enabled", "disabled"]
VolumeStatus = Literal[
    "available",
    "attaching",
    "in-use",
    "detaching",
    "creating",
    "deleting",
    "error",
    "error_deleting",
]


class _Dto(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Project(_Dto):
    """A Keystone project (tenant)."""

    id: str
    name: str
    domain_id: str = "default"
    description: str = ""
    enabled: bool = True


class QuotaUsage(_Dto):
    """One quota: its limit (-1: unlimited) and how much is in use."""

    limit: int
    in_use: int
    reserved: int = 0

    @property
    def exhausted(self) -> bool:
        """True when nothing more fits under the limit."""
        return self.limit >= 0 and self.in_use + self.reserved >= self.limit


class ProjectQuotas(_Dto):
    """Compute and block-storage quotas of one project, with usage."""

    project_id: str
    instances: QuotaUsage
    cores: QuotaUsage
    ram_mb: QuotaUsage
    volumes: QuotaUsage
    gigabytes: QuotaUsage
    """Block storage, in GiB (Cinder's `gigabytes`)."""


class Hypervisor(_Dto):
    """A Nova compute host with its capacity and what its instances use."""

    id: str
    hostname: str
    state: HypervisorState
    """Whether the compute service reports in."""
    status: HypervisorStatus
    """Whether the scheduler may place instances there."""
    disabled_reason: str | None = None
    host_ip: str
    vcpus: int
    vcpus_used: int
    memory_mb: int
    memory_mb_used: int
    local_gb: int
    local_gb_used: int
    running_vms: int
    cpu_usage_ratio: float = Field(ge=0.0, le=1.0)
    """Current CPU utilisation of the host (from its metrics)."""


class Flavor(_Dto):
    """A Nova flavor."""

    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    is_public: bool = True


class Image(_Dto):
    """A Glance image."""

    id: str
    name: str
    status: Literal["queued", "saving", "active", "killed", "deleted", "deactivated"]
    disk_format: str
    size_bytes: int
    min_disk_gb: int = 0
    visibility: Literal["public", "private", "shared", "community"] = "public"


class Subnet(_Dto):
    """A Neutron subnet."""

    id: str
    name: str
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool = True


class Network(_Dto):
    """A Neutron network and its subnets."""

    id: str
    name: str
    project_id: str
    status: Literal["ACTIVE", "DOWN", "BUILD", "ERROR"]
    shared: bool = False
    external: bool = False
    subnets: tuple[Subnet, ...] = ()


class ServerFault(_Dto):
    """Why Nova put a server in ERROR (the `fault` of `GET /servers/{id}`)."""

    code: int
    message: str
    created: datetime
    details: str = ""


class Server(_Dto):
    """A Nova server (instance)."""

    id: str
    name: str
    project_id: str
    status: ServerStatus
    task_state: str | None = None
    power_state: ServerPowerState
    flavor_id: str
    image_id: str
    hypervisor_hostname: str | None
    """`OS-EXT-SRV-ATTR:hypervisor_hostname`; None when never scheduled."""
    host_status: Literal["UP", "DOWN", "MAINTENANCE", "UNKNOWN", ""] = ""
    """The compute service's state on the server's host (`host_status`, microversion 2.16);
    empty when the host is unknown."""
    addresses: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Fixed IPs by network name."""
    volumes_attached: tuple[str, ...] = ()
    created: datetime
    updated: datetime
    fault: ServerFault | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class VolumeAttachment(_Dto):
    """Where a volume is attached."""

    server_id: str
    device: str
    attached_at: datetime | None = None


class Volume(_Dto):
    """A Cinder volume."""

    id: str
    name: str
    project_id: str
    status: VolumeStatus
    size_gb: int
    volume_type: str
    bootable: bool = False
    attachments: tuple[VolumeAttachment, ...] = ()
    created_at: datetime
    updated_at: datetime
