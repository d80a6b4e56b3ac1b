"""The vSphere side of the estate: one datacenter, two clusters of ESXi hosts, datastores, VMs.

The dataclasses are mutable on purpose: faults change them (a host disconnects, a datastore
goes inaccessible, a VM powers off). Usage figures are not stored here: they are metric
series (`metrics/catalog.py`), so a fault's metric overlay and the port's view agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from connectors.vmware.models import ConnectionState, DatastoreType, PowerState
from lab.world.randomness import Keyed

_Named = TypeVar("_Named", "EsxiHost", "VSphereVm", "VSphereDatastore", "VSphereCluster")

GIB = 1024**3
TIB = 1024**4
SITES = ("ams1", "fra2", "par1", "lon3", "waw1", "osl1")
SERVICE_VMS = ("db-payments-01", "db-payments-02", "ldap-01", "gitlab-01", "jump-01", "backup-01")
"""VMs outside Kubernetes; the payment database VMs back the `payments` namespace's ledger."""


@dataclass
class VSphereCluster:
    """A cluster of ESXi hosts."""

    moref: str
    name: str
    datacenter: str
    drs_enabled: bool = True
    ha_enabled: bool = True


@dataclass
class EsxiHost:
    """An ESXi host: hardware, version and state."""

    moref: str
    name: str
    datacenter: str
    cluster: str
    cpu_cores: int
    cpu_mhz_per_core: int
    memory_bytes: int
    esxi_version: str
    datastores: list[str]
    connection_state: ConnectionState = "connected"
    power_state: PowerState = "poweredOn"
    in_maintenance_mode: bool = False


@dataclass
class VSphereDatastore:
    """A datastore; `used_ratio` is the baseline of its free-space series."""

    moref: str
    name: str
    datacenter: str
    type: DatastoreType
    capacity_bytes: int
    used_ratio: float
    hosts: list[str]
    accessible: bool = True


@dataclass
class VSphereVm:
    """A virtual machine and where it lives (host, cluster, datastore)."""

    moref: str
    name: str
    instance_uuid: str
    datacenter: str
    cluster: str
    host: str
    datastore: str
    num_cpu: int
    memory_mb: int
    guest_os: str
    ip_address: str
    role: str
    """`k8s-control-plane`, `k8s-worker` or `service`."""
    power_state: PowerState = "poweredOn"


@dataclass
class VSphereEstate:
    """Everything vCenter knows, with lookups by name."""

    datacenter: str
    datacenter_moref: str
    clusters: list[VSphereCluster] = field(default_factory=list)
    hosts: list[EsxiHost] = field(default_factory=list)
    datastores: list[VSphereDatastore] = field(default_factory=list)
    vms: list[VSphereVm] = field(default_factory=list)

    def host(self, name: str) -> EsxiHost:
        """The host named `name` (KeyError when none)."""
        return _by_name(self.hosts, name)

    def vm(self, name: str) -> VSphereVm:
        """The VM named `name` (KeyError when none)."""
        return _by_name(self.vms, name)

    def datastore(self, name: str) -> VSphereDatastore:
        """The datastore named `name` (KeyError when none)."""
        return _by_name(self.datastores, name)

    def cluster(self, name: str) -> VSphereCluster:
        """The cluster named `name` (KeyError when none)."""
        return _by_name(self.clusters, name)


def _by_name(items: list[_Named], name: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(name)


def build_vsphere(rng: Keyed, *, k8s_vms: list[tuple[str, str, int, int]]) -> VSphereEstate:
    """Lay out the datacenter; `k8s_vms` lists (name, role, vCPUs, MiB) of the cluster's VMs."""
    site = rng.choice(SITES, "vsphere", "site")
    estate = VSphereEstate(datacenter=f"dc-{site}", datacenter_moref="datacenter-3")
    moref = iter(range(1000, 100000))
    nfs_hosts: list[str] = []
    nfs_name = f"{site}-nfs-01"
    for c_index, letter in enumerate("ab"):
        cluster = VSphereCluster(
            f"domain-c{10 + c_index}", f"{site}-cl-{letter}", estate.datacenter
        )
        estate.clusters.append(cluster)
        vmfs = f"{site}-{letter}-vmfs-01"
        hosts: list[str] = []
        cores = rng.choice((32, 48, 64), "vsphere", cluster.name, "cores")
        memory = rng.choice((384, 512, 768), "vsphere", cluster.name, "memory") * GIB
        for h_index in range(1, rng.integer(3, 4, "vsphere", cluster.name, "hosts") + 1):
            name = f"esx-{site}-{letter}{h_index:02d}.lab.internal"
            estate.hosts.append(
                EsxiHost(
                    moref=f"host-{next(moref)}",
                    name=name,
                    datacenter=estate.datacenter,
                    cluster=cluster.name,
                    cpu_cores=cores,
                    cpu_mhz_per_core=rng.choice((2100, 2400, 2600), "vsphere", cluster.name),
                    memory_bytes=memory,
                    esxi_version=rng.choice(("8.0.2", "8.0.3"), "vsphere", cluster.name, "ver"),
                    datastores=sorted([vmfs, nfs_name]),
                )
            )
            hosts.append(name)
        nfs_hosts += hosts
        vmfs_moref = f"datastore-{next(moref)}"
        estate.datastores.append(_datastore(rng, estate, vmfs_moref, vmfs, "VMFS", hosts))
    nfs_moref = f"datastore-{next(moref)}"
    estate.datastores.append(_datastore(rng, estate, nfs_moref, nfs_name, "NFS", nfs_hosts))
    _place_vms(rng, estate, k8s_vms)
    return estate


def _datastore(
    rng: Keyed,
    estate: VSphereEstate,
    moref: str,
    name: str,
    type_: DatastoreType,
    hosts: list[str],
) -> VSphereDatastore:
    return VSphereDatastore(
        moref=moref,
        name=name,
        datacenter=estate.datacenter,
        type=type_,
        capacity_bytes=rng.choice((8, 10, 16), "datastore", name, "capacity") * TIB,
        used_ratio=round(rng.uniform(0.45, 0.72, "datastore", name, "used"), 3),
        hosts=sorted(hosts),
    )


def _place_vms(
    rng: Keyed,
    estate: VSphereEstate,
    k8s_vms: list[tuple[str, str, int, int]],
) -> None:
    """Kubernetes VMs alternate between the clusters; service VMs go where the seed says."""
    counter = iter(range(2000, 100000))
    wanted = [*k8s_vms]
    wanted += [
        (
            name,
            "service",
            rng.choice((2, 4, 8), "vm", name, "cpu"),
            rng.choice((4, 8, 16), "vm", name, "mem") * 1024,
        )
        for name in SERVICE_VMS
    ]
    for index, (name, role, cpus, memory_mb) in enumerate(wanted):
        cluster = (
            estate.clusters[index % 2]
            if role != "service"
            else rng.choice(estate.clusters, "vm", name, "cluster")
        )
        hosts = [h for h in estate.hosts if h.cluster == cluster.name]
        host = (
            hosts[(index // 2) % len(hosts)]
            if role != "service"
            else rng.choice(hosts, "vm", name, "host")
        )
        vmfs = next(d.name for d in estate.datastores if d.type == "VMFS" and host.name in d.hosts)
        cluster_index = estate.clusters.index(cluster)
        estate.vms.append(
            VSphereVm(
                moref=f"vm-{next(counter)}",
                name=name,
                instance_uuid=rng.uuid("vm", name, "uuid"),
                datacenter=estate.datacenter,
                cluster=cluster.name,
                host=host.name,
                datastore=vmfs,
                num_cpu=cpus,
                memory_mb=memory_mb,
                guest_os="ubuntu64Guest",
                ip_address=f"10.20.{cluster_index + 1}.{10 + index}",
                role=role,
            )
        )
