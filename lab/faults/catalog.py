"""The fault catalog: names scenarios use (`fault: k8s.oom_kill`) and what each one does."""

from __future__ import annotations

from collections.abc import Callable
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

FAULTS: dict[str, FaultFn] = {
    "k8s.oom_kill": kubernetes.oom_kill,
    "k8s.image_pull": kubernetes_rollouts.image_pull,
    "k8s.crashloop_bad_config": kubernetes_rollouts.crashloop_bad_config,
    "k8s.node_not_ready": node_failure.node_not_ready,
    "k8s.pending_insufficient_cpu": scheduling.pending_insufficient_cpu,
    "k8s.dns_failure": dependencies.dns_failure,
    "vsphere.vm_powered_off": dependencies.vm_powered_off,
    "vsphere.vm_cpu_contention": dependencies.vm_cpu_contention,
    "vsphere.host_disconnected": vsphere.host_disconnected,
    "vsphere.host_down": node_failure.host_down,
    "vsphere.datastore_full": vsphere.datastore_full,
    "openstack.instance_error": openstack.instance_error,
    "openstack.hypervisor_down": openstack.hypervisor_down,
    "openstack.quota_exhausted": openstack.quota_exhausted,
    "openstack.volume_stuck_attaching": openstack.volume_stuck_attaching,
}
"""Every fault the lab can inject, by the name scenarios use."""


def apply_fault(
    world: World, name: str, target: dict[str, str], params: dict[str, Any] | None = None
) -> FaultRecord:
    """Inject a fault at the lab clock's instant; InvalidRequest names what is wrong."""
    try:
        fault = FAULTS[name]
    except KeyError:
        known = ", ".join(sorted(FAULTS))
        raise InvalidRequest(f"unknown fault {name!r}; the catalog has: {known}") from None
    try:
        fault(world, dict(target), dict(params or {}))
    except (KeyError, StopIteration, ObjectNotFound) as e:
        raise InvalidRequest(f"fault {name}: no such target {target} ({e})") from None
    except ValueError as e:
        raise InvalidRequest(f"fault {name}: bad parameter ({e})") from None
    record = FaultRecord(name=name, target=dict(target), params=dict(params or {}), at=world.now())
    world.faults.append(record)
    return record
