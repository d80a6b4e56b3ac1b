"""The cluster's nodes and the machines under them: the cross-layer links of the estate.

A node runs on a vSphere VM (which runs on an ESXi host, in a cluster, on a datastore) or on
an OpenStack server (which runs on a hypervisor). The link is explicit in `NodeBacking` and
genuine in the Node object: `spec.providerID` is `vsphere://<VM instance UUID>` or
`openstack:///<server id>`, as the clouds' providers set it, and the InternalIP is the
machine's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from lab.kube.store import JsonObject
from lab.world.randomness import Keyed

KUBELET_VERSION = "v1.30.6"
RESERVED_MEMORY_KI = 102400
"""The kubelet's default hard eviction threshold (100Mi), taken off allocatable memory."""


@dataclass(frozen=True)
class NodeBacking:
    """One node and the machine it runs on."""

    node: str
    role: Literal["control-plane", "worker"]
    cloud: Literal["vsphere", "openstack"]
    machine: str
    """The VM's or the server's name."""
    machine_id: str
    """The VM's instance UUID or the server's id."""
    ip_address: str
    cpus: int
    memory_mb: int
    region: str
    zone: str
    instance_type: str
    index: int
    """Position of the node; its pod CIDR is 10.244.<index>.0/24."""

    @property
    def provider_id(self) -> str:
        """`spec.providerID` as the cloud provider writes it."""
        if self.cloud == "vsphere":
            return f"vsphere://{self.machine_id}"
        return f"openstack:///{self.machine_id}"

    @property
    def pod_cidr(self) -> str:
        """The node's pod network."""
        return f"10.244.{self.index}.0/24"


def node_object(
    rng: Keyed, backing: NodeBacking, *, created: datetime, now: datetime
) -> JsonObject:
    """The Node as the API server holds it: labels, providerID, capacity, conditions, info."""
    stamp = _ts(now)
    memory_ki = backing.memory_mb * 1024
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": backing.node,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": backing.instance_type,
        "topology.kubernetes.io/region": backing.region,
        "topology.kubernetes.io/zone": backing.zone,
    }
    taints: list[JsonObject] = []
    if backing.role == "control-plane":
        labels["node-role.kubernetes.io/control-plane"] = ""
        taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
    capacity = {
        "cpu": str(backing.cpus),
        "ephemeral-storage": "101430960Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory_ki}Ki",
        "pods": "110",
    }
    allocatable = {
        **capacity,
        "ephemeral-storage": "93478772582",
        "memory": f"{memory_ki - RESERVED_MEMORY_KI}Ki",
    }
    since = _ts(created)
    conditions = [
        _condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
            stamp,
            since,
        ),
        _condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
            stamp,
            since,
        ),
        _condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
            stamp,
            since,
        ),
        _condition(
            "Ready", "True", "KubeletReady", "kubelet is posting ready status", stamp, since
        ),
    ]
    spec: JsonObject = {
        "podCIDR": backing.pod_cidr,
        "podCIDRs": [backing.pod_cidr],
        "providerID": backing.provider_id,
    }
    if taints:
        spec["taints"] = taints
    return {
        "metadata": {
            "name": backing.node,
            "labels": labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
            "creationTimestamp": since,
        },
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": backing.ip_address},
                {"type": "Hostname", "address": backing.node},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": rng.hex(32, "machine-id", backing.node),
                "systemUUID": backing.machine_id
                if backing.cloud == "vsphere"
                else rng.uuid("system-uuid", backing.node),
                "bootID": rng.uuid("boot-id", backing.node),
                "kernelVersion": "5.15.0-125-generic",
                "osImage": "Ubuntu 22.04.5 LTS",
                "containerRuntimeVersion": "containerd://1.7.22",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def _condition(
    type_: str, status: str, reason: str, message: str, heartbeat: str, since: str
) -> JsonObject:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastHeartbeatTime": heartbeat,
        "lastTransitionTime": since,
    }


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")
