"""The fault catalog: the names scenarios use (`fault: k8s.oom_kill`), and what each one is.

Each `Fault` says what it does (`summary`), its category in the taxonomy of SCENARIOS.md,
the keys its target takes, its parameters with their defaults, a target that exists in any
seed's world, and the alerts the lab's monitoring raises for it (`lab/world/alerts.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidRequest
from lab.faults import (
    dependencies,
    kubernetes,
    kubernetes_rollouts,
    node_failure,
    openstack,
    scheduling,
    vsphere,
)
from lab.kube.store import ObjectNotFound
from lab.world.world import FaultRecord, World

FaultFn = Callable[[World, dict[str, str], dict[str, Any]], None]
DEPLOYMENT = ("namespace", "deployment")


@dataclass(frozen=True)
class Fault:
    """One fault of the catalog."""

    name: str
    inject: FaultFn
    summary: str
    """One line, as `pixelview lab faults` lists it."""
    category: str
    """Its category in the taxonomy of SCENARIOS.md (`resource.memory`, `host.down`...)."""
    target: tuple[str, ...]
    """The keys its target has, all required (none: the fault needs no target)."""
    params: Mapping[str, str]
    """Each parameter's name and one line on what it sets, with its default."""
    default_target: Callable[[World], dict[str, str]]
    """A target that exists in any seed's world (names that differ by seed are looked up)."""
    alerts: tuple[str, ...]
    """The alerts the lab's monitoring raises for it, on its default target, within 30 min."""


def _fixed(**target: str) -> Callable[[World], dict[str, str]]:
    """The same target in every seed's world (these names do not depend on the seed)."""

    def fixed(world: World) -> dict[str, str]:
        del world
        return dict(target)

    return fixed


def _host_of(vm: str) -> Callable[[World], dict[str, str]]:
    """The ESXi host that runs the VM (host names differ by seed)."""
    return lambda world: {"host": world.vsphere.vm(vm).host}


def _datastore_of(vm: str) -> Callable[[World], dict[str, str]]:
    return lambda world: {"datastore": world.vsphere.vm(vm).datastore}


def _hypervisor_of(server: str) -> Callable[[World], dict[str, str]]:
    return lambda world: {"hypervisor": world.openstack.server(server).hypervisor or ""}


_CATALOG = (
    Fault(
        "k8s.oom_kill",
        kubernetes.oom_kill,
        "A Deployment's memory limit is cut and rolled out; its pods are OOMKilled and crash-loop.",
        "resource.memory",
        DEPLOYMENT,
        {
            "memory_limit": "the new limit (default: half the current one)",
            "container": "the container whose limit is cut (default: the first)",
            "runs_for_s": "seconds a run lasts before the OOM killer ends it (default 90)",
        },
        _fixed(namespace="payments", deployment="api"),
        ("KubePodCrashLooping",),
    ),
    Fault(
        "k8s.crashloop_bad_config",
        kubernetes_rollouts.crashloop_bad_config,
        "A bad value lands in a Deployment's ConfigMap and is rolled out; the new pod exits 1 "
        "at start and crash-loops.",
        "crash.config",
        DEPLOYMENT,
        {
            "key": "the ConfigMap key broken (default: the first key of <deployment>-config)",
            "value": "the bad value (default: the key's value with its URL broken)",
        },
        _fixed(namespace="payments", deployment="ledger"),
        ("KubePodCrashLooping",),
    ),
    Fault(
        "k8s.image_pull",
        kubernetes_rollouts.image_pull,
        "A rollout sets an image that cannot be pulled; the new pod stays Pending in "
        "ImagePullBackOff.",
        "image.pull",
        DEPLOYMENT,
        {
            "image": "the image set (default: the current one with a tag that does not exist)",
            "error": "not_found (default) or unauthorized: what the registry answers",
        },
        _fixed(namespace="shop", deployment="cart"),
        ("KubePodNotReady",),
    ),
    Fault(
        "k8s.node_not_ready",
        node_failure.node_not_ready,
        "A node's kubelet stops posting status: the node goes NotReady, its pods are evicted "
        "and replaced.",
        "host.down",
        ("node",),
        {},
        _fixed(node="k8s-worker-03"),
        ("KubeNodeNotReady",),
    ),
    Fault(
        "k8s.pending_insufficient_cpu",
        scheduling.pending_insufficient_cpu,
        "A Deployment asks for more CPU than any node has left; its new pods stay Pending "
        "(FailedScheduling: Insufficient cpu).",
        "scheduling.capacity",
        DEPLOYMENT,
        {
            "cpu_request": "the first container's new CPU request, rolled out (default, "
            "without replicas: the smallest whole number of cores no node has room for)",
            "replicas": "the new replica count (default: unchanged)",
        },
        _fixed(namespace="shop", deployment="catalog"),
        ("KubePodNotReady",),
    ),
    Fault(
        "k8s.dns_failure",
        dependencies.dns_failure,
        "CoreDNS cannot reach the estate's DNS server: lab.internal names get SERVFAIL and "
        "the apps that use them fail.",
        "network.dns",
        (),
        {
            "upstream": f"the unreachable upstream's address (default {dependencies.UPSTREAM_DNS})",
            "servfail_per_second": "SERVFAIL answers a second on each CoreDNS pod (default 8)",
        },
        _fixed(),
        ("CoreDNSErrorsHigh",),
    ),
    Fault(
        "vsphere.host_down",
        node_failure.host_down,
        "An ESXi host fails: vCenter loses it, its VMs go down, their Kubernetes nodes go "
        "NotReady and their pods are evicted.",
        "host.down",
        ("host",),
        {},
        _host_of("k8s-worker-02"),
        ("VSphereHostNotResponding", "KubeNodeNotReady"),
    ),
    Fault(
        "vsphere.host_disconnected",
        vsphere.host_disconnected,
        "vCenter loses an ESXi host's management connection; its VMs run on, unmanaged.",
        "host.disconnected",
        ("host",),
        {},
        _host_of("k8s-worker-03"),
        ("VSphereHostDisconnected",),
    ),
    Fault(
        "vsphere.datastore_full",
        vsphere.datastore_full,
        "A datastore fills up (a runaway snapshot): its free space drains to 0.",
        "storage.full",
        ("datastore",),
        {"fill_minutes": "minutes until it is full (default 20)"},
        _datastore_of("k8s-worker-01"),
        ("VSphereDatastoreSpaceLow",),
    ),
    Fault(
        "vsphere.vm_cpu_contention",
        dependencies.vm_cpu_contention,
        "An ESXi host is overcommitted: its CPU saturates and every VM on it waits for a core.",
        "hypervisor.overcommit",
        ("host",),
        {
            "over_minutes": "minutes the contention takes to build up (default 10)",
            "ready": "the share of time each VM then waits for a CPU (default 0.2)",
        },
        _host_of("k8s-worker-01"),
        ("VSphereVmCpuReadyHigh",),
    ),
    Fault(
        "vsphere.vm_powered_off",
        dependencies.vm_powered_off,
        "A VM powers off: the apps that use it fail to connect; a Kubernetes node on it goes "
        "NotReady.",
        "host.down",
        ("vm",),
        {},
        _fixed(vm="db-payments-01"),
        ("VSphereVmPoweredOff",),
    ),
    Fault(
        "openstack.instance_error",
        openstack.instance_error,
        "A server goes to ERROR with a fault message (by default Nova's 'No valid host').",
        "scheduling.capacity",
        ("server",),
        {
            "message": f"the fault message (default: {openstack.NO_VALID_HOST!r})",
            "code": "the fault code (default 500)",
            "details": "the fault details (default: none)",
        },
        _fixed(server="spark-worker-03"),
        ("OpenStackInstanceError",),
    ),
    Fault(
        "openstack.quota_exhausted",
        openstack.quota_exhausted,
        "A project's quota is used up: the next server it asks for is refused (ERROR, 403 "
        "Quota exceeded).",
        "resource.quota",
        ("project",),
        {
            "resource": "cores (default), instances or ram_mb: the quota used up",
            "server": "the refused server's name (default: <project>-extra-01)",
        },
        _fixed(project="analytics"),
        ("OpenStackProjectQuotaExhausted", "OpenStackInstanceError"),
    ),
    Fault(
        "openstack.hypervisor_down",
        openstack.hypervisor_down,
        "A compute host fails: nova-compute is down, its servers are unreachable, Kubernetes "
        "nodes on them go NotReady.",
        "host.down",
        ("hypervisor",),
        {},
        _hypervisor_of("k8s-worker-05"),
        ("OpenStackNovaComputeDown", "KubeNodeNotReady"),
    ),
    Fault(
        "openstack.volume_stuck_attaching",
        openstack.volume_stuck_attaching,
        "A volume being attached to a server never gets there: it stays 'attaching'.",
        "storage.attach",
        ("volume",),
        {"server": "the server it is attached to (default: its project's first server)"},
        _fixed(volume="backup-archive"),
        ("OpenStackVolumeStuckAttaching",),
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _CATALOG}
"""Every fault the lab can inject, by the name scenarios use."""


def apply_fault(
    world: World,
    name: str,
    target: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> FaultRecord:
    """Inject a fault at the lab clock's instant; InvalidRequest names what is wrong.

    Without a target the fault takes its `default_target`. A target must have exactly the
    fault's keys, and every parameter must be one the fault takes.
    """
    try:
        fault = FAULTS[name]
    except KeyError:
        known = ", ".join(sorted(FAULTS))
        raise InvalidRequest(f"unknown fault {name!r}; the catalog has: {known}") from None
    chosen = fault.default_target(world) if target is None else dict(target)
    given = dict(params or {})
    _check(fault, chosen, given)
    try:
        fault.inject(world, dict(chosen), dict(given))
    except (KeyError, StopIteration, ObjectNotFound) as e:
        raise InvalidRequest(f"fault {name}: no such target {chosen} ({e})") from None
    except ValueError as e:
        raise InvalidRequest(f"fault {name}: bad parameter ({e})") from None
    record = FaultRecord(name=name, target=chosen, params=given, at=world.now())
    world.faults.append(record)
    return record


def _check(fault: Fault, target: dict[str, str], params: dict[str, Any]) -> None:
    """Refuse a target without one of the fault's keys or with another key, or an unknown param."""
    wanted = ", ".join(fault.target) or "none"
    for key in fault.target:
        if key not in target:
            raise InvalidRequest(f"fault {fault.name}: target needs {key!r} (its keys: {wanted})")
    for key in sorted(target):
        if key not in fault.target:
            raise InvalidRequest(
                f"fault {fault.name}: target has unknown key {key!r} (its keys: {wanted})"
            )
    for param in sorted(params):
        if param not in fault.params:
            known = ", ".join(sorted(fault.params)) or "none"
            raise InvalidRequest(
                f"fault {fault.name}: unknown parameter {param!r} (its parameters: {known})"
            )
