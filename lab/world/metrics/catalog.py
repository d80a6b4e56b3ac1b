"""The series the estate exports, named and labelled as their exporters would.

vSphere (as a vmware exporter would): `vsphere_host_*`, `vsphere_vm_*`, `vsphere_datastore_*`;
OpenStack: `openstack_hypervisor_*`, `openstack_instance_*`, and openstack-exporter's state
series (`openstack_state.py`); nodes: `node_*`; containers (cAdvisor): `container_*`; cluster
state (kube-state-metrics): `kube_*`; CoreDNS's own: `coredns_*`. Ratios lie in [0, 1]; bytes
between 0 and the capacity or limit they are measured against; counters start at 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lab.kube.store import JsonObject, KubeStore
from lab.world.kube_nodes import NodeBacking
from lab.world.metrics.openstack_state import define_openstack_state
from lab.world.metrics.series import Shape
from lab.world.metrics.store import MetricStore
from lab.world.openstack_estate import OpenStackEstate
from lab.world.randomness import Keyed
from lab.world.vsphere_estate import VSphereEstate
from lab.world.workloads import parse_bytes, parse_cpu

HARDWARE_AGE = timedelta(days=400)
"""How far back the series of hosts, hypervisors and datastores go."""
CONNECTION_STATES = ("connected", "disconnected", "notResponding")
"""vCenter's connection states of a host; `vsphere_host_connection_state` is 1 for its own."""
DNS_RCODES = {"NOERROR": 0.78, "NXDOMAIN": 0.22, "SERVFAIL": 0.0}
"""How a healthy CoreDNS's answers split (search-path expansions make the NXDOMAINs)."""


def parse_ts(text: str) -> datetime:
    """An API timestamp (`2026-11-16T09:40:00Z`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ratio(
    rng: Keyed,
    key: str,
    low: float,
    high: float,
    *,
    daily: float = 0.0,
    weekly: float = 0.0,
    trend_per_day: float = 0.0,
    noise: float = 0.0,
) -> Shape:
    """A utilisation ratio in [0, 1] whose base level is drawn in [low, high)."""
    return Shape(
        base=rng.uniform(low, high, "base", key),
        daily=daily,
        weekly=weekly,
        trend_per_day=trend_per_day,
        noise=noise,
        high=1.0,
    )


def define_vsphere(
    metrics: MetricStore, rng: Keyed, estate: VSphereEstate, epoch: datetime
) -> None:
    """Series of ESXi hosts, VMs and datastores."""
    since = epoch - HARDWARE_AGE
    for host in estate.hosts:
        labels = {"datacenter": host.datacenter, "cluster": host.cluster, "host": host.name}
        metrics.define(
            {"__name__": "vsphere_host_cpu_usage_ratio", **labels},
            _ratio(rng, host.name + "cpu", 0.3, 0.5, daily=0.35, weekly=0.25, noise=0.025),
            start=since,
        )
        metrics.define(
            {"__name__": "vsphere_host_connected", **labels},
            Shape(base=1.0, high=1.0, integer=True),
            start=since,
        )
        for state in CONNECTION_STATES:
            metrics.define(
                {"__name__": "vsphere_host_connection_state", **labels, "state": state},
                _flag(host.connection_state == state),
                start=since,
            )
        metrics.define(
            {"__name__": "vsphere_host_memory_usage_ratio", **labels},
            _ratio(
                rng,
                host.name + "mem",
                0.55,
                0.7,
                daily=0.04,
                weekly=0.02,
                trend_per_day=0.0003,
                noise=0.008,
            ),
            start=since,
        )
    for vm in estate.vms:
        labels = {
            "datacenter": vm.datacenter,
            "cluster": vm.cluster,
            "host": vm.host,
            "vm": vm.name,
        }
        metrics.define(
            {"__name__": "vsphere_vm_cpu_usage_ratio", **labels},
            _ratio(rng, vm.name + "cpu", 0.15, 0.45, daily=0.4, weekly=0.3, noise=0.03),
            start=since,
        )
        metrics.define(
            {"__name__": "vsphere_vm_cpu_ready_ratio", **labels},
            _ratio(rng, vm.name + "ready", 0.005, 0.025, daily=0.3, noise=0.002),
            start=since,
        )
        metrics.define(
            {"__name__": "vsphere_vm_memory_usage_ratio", **labels},
            _ratio(rng, vm.name + "mem", 0.4, 0.75, daily=0.05, noise=0.01),
            start=since,
        )
        metrics.define(
            {"__name__": "vsphere_vm_power_state", **labels},
            _flag(vm.power_state == "poweredOn"),
            start=since,
        )
    for ds in estate.datastores:
        labels = {"datacenter": ds.datacenter, "datastore": ds.name}
        capacity = float(ds.capacity_bytes)
        metrics.define(
            {"__name__": "vsphere_datastore_capacity_bytes", **labels},
            Shape(base=capacity, high=capacity, integer=True),
            start=since,
        )
        metrics.define(
            {"__name__": "vsphere_datastore_free_bytes", **labels},
            Shape(
                base=capacity * (1 - ds.used_ratio),
                trend_per_day=-capacity * 0.0008,
                noise=capacity * 0.0004,
                high=capacity,
                integer=True,
            ),
            start=since,
        )


def define_openstack(
    metrics: MetricStore, rng: Keyed, estate: OpenStackEstate, epoch: datetime
) -> None:
    """Series of hypervisors and servers."""
    since = epoch - HARDWARE_AGE
    for hv in estate.hypervisors:
        metrics.define(
            {"__name__": "openstack_hypervisor_cpu_usage_ratio", "hypervisor": hv.hostname},
            _ratio(rng, hv.hostname, 0.25, 0.5, daily=0.3, weekly=0.2, noise=0.02),
            start=since,
        )
    projects = {p.id: p.name for p in estate.projects}
    for server in estate.servers:
        labels = {
            "project": projects[server.project_id],
            "instance": server.name,
            "instance_id": server.id,
            "hypervisor": server.hypervisor or "",
        }
        metrics.define(
            {"__name__": "openstack_instance_cpu_usage_ratio", **labels},
            _ratio(rng, server.id, 0.15, 0.5, daily=0.4, weekly=0.3, noise=0.03),
            start=server.created,
        )
    define_openstack_state(metrics, estate, since=since)


def define_nodes(
    metrics: MetricStore, rng: Keyed, kube: KubeStore, nodes: list[NodeBacking]
) -> None:
    """Series of Kubernetes nodes (node exporter and kube-state-metrics)."""
    for backing in nodes:
        node = kube.get("nodes", backing.node)
        since = parse_ts(node["metadata"]["creationTimestamp"])
        memory = float(backing.memory_mb * 1024 * 1024)
        labels = {"node": backing.node}
        metrics.define(
            {"__name__": "node_cpu_usage_ratio", **labels},
            _ratio(rng, backing.node, 0.15, 0.4, daily=0.35, weekly=0.25, noise=0.03),
            start=since,
        )
        metrics.define(
            {"__name__": "node_memory_working_set_bytes", **labels},
            Shape(
                base=memory * rng.uniform(0.4, 0.65, "mem", backing.node),
                daily=0.05,
                noise=memory * 0.01,
                high=memory,
                integer=True,
            ),
            start=since,
        )
        metrics.define(
            {
                "__name__": "kube_node_status_condition",
                **labels,
                "condition": "Ready",
                "status": "true",
            },
            Shape(base=1.0, high=1.0, integer=True),
            start=since,
        )


def define_pod(metrics: MetricStore, rng: Keyed, pod: JsonObject) -> None:
    """Series of a pod (cAdvisor, kube-state-metrics, its app's own), from its creation.

    A pod the scheduler could not place has kube-state-metrics' series only: Pending,
    unschedulable, and its containers' limits (no node label).
    """
    meta = pod["metadata"]
    since = parse_ts(meta["creationTimestamp"])
    node = pod["spec"].get("nodeName")
    owner = {"namespace": meta["namespace"], "pod": meta["name"]}
    for phase, current in (("Pending", not node), ("Running", bool(node))):
        metrics.define(
            {"__name__": "kube_pod_status_phase", **owner, "phase": phase},
            _flag(current),
            start=since,
        )
    if not node:
        metrics.define(
            {"__name__": "kube_pod_status_unschedulable", **owner}, _flag(True), start=since
        )
    restarts = {
        s["name"]: s.get("restartCount", 0) for s in pod["status"].get("containerStatuses", [])
    }
    for container in pod["spec"]["containers"]:
        labels = {**owner, "container": container["name"]}
        where = {**labels, "node": node} if node else labels
        limits = container["resources"]["limits"]
        memory, cpu = float(parse_bytes(limits["memory"])), parse_cpu(limits["cpu"])
        for resource, unit, value in (("memory", "byte", memory), ("cpu", "core", cpu)):
            metrics.define(
                {
                    "__name__": "kube_pod_container_resource_limits",
                    **where,
                    "resource": resource,
                    "unit": unit,
                },
                Shape(base=value, high=value),
                start=since,
            )
        if not node:
            continue
        key = f"{meta['namespace']}/{meta['name']}/{container['name']}"
        metrics.define(
            {"__name__": "container_memory_working_set_bytes", **where},
            Shape(
                base=memory * rng.uniform(0.35, 0.65, "mem", key),
                daily=0.08,
                noise=memory * 0.01,
                high=memory,
                integer=True,
            ),
            start=since,
        )
        metrics.define(
            {"__name__": "container_cpu_usage_cores", **where},
            Shape(
                base=cpu * rng.uniform(0.05, 0.3, "cpu", key),
                daily=0.4,
                weekly=0.3,
                noise=cpu * 0.01,
                high=cpu,
            ),
            start=since,
        )
        metrics.define(
            {"__name__": "kube_pod_container_status_restarts_total", **labels},
            Shape(base=float(restarts.get(container["name"], 0)), integer=True),
            start=since,
        )
    if node and meta.get("labels", {}).get("app") == "coredns":
        _define_coredns(metrics, rng, owner, since)


def _define_coredns(
    metrics: MetricStore, rng: Keyed, owner: dict[str, str], since: datetime
) -> None:
    """CoreDNS's answer counters (its prometheus plugin), counting from the pod's start."""
    qps = rng.uniform(15.0, 35.0, "dns-qps", owner["pod"])
    for rcode, share in DNS_RCODES.items():
        metrics.define(
            {
                "__name__": "coredns_dns_responses_total",
                **owner,
                "rcode": rcode,
                "server": "dns://:53",
                "zone": ".",
            },
            counter(metrics, qps * share, since),
            start=since,
        )


def counter(metrics: MetricStore, per_second: float, since: datetime) -> Shape:
    """A counter that starts at 0 at `since` and rises by `per_second`."""
    elapsed = (metrics.anchor - since).total_seconds()
    return Shape(base=per_second * elapsed, trend_per_day=per_second * 86400, integer=True)


def _flag(on: bool) -> Shape:
    """A 0-or-1 gauge."""
    return Shape(base=1.0 if on else 0.0, high=1.0, integer=True)


def retire_pod(metrics: MetricStore, pod: JsonObject, at: datetime) -> None:
    """A pod was deleted at `at`: its series stop (they stay queryable before `at`)."""
    for series in metrics.select(
        f'{{namespace="{pod["metadata"]["namespace"]}",pod="{pod["metadata"]["name"]}"}}'
    ):
        if series.end is None:
            series.end = at


def define_estate(
    metrics: MetricStore,
    rng: Keyed,
    *,
    vsphere: VSphereEstate,
    openstack: OpenStackEstate,
    kube: KubeStore,
    nodes: list[NodeBacking],
    epoch: datetime,
) -> None:
    """Every series of a freshly built estate."""
    define_vsphere(metrics, rng, vsphere, epoch)
    define_openstack(metrics, rng, openstack, epoch)
    define_nodes(metrics, rng, kube, nodes)
    for pod in kube.list("pods"):
        define_pod(metrics, rng, pod)
