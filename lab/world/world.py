"""The world: one seeded estate, its lab clock, its Kubernetes objects and its metric series.

    world = World.build(seed=7)        # the estate at LAB_EPOCH, an hour of logs behind it
    world.advance(timedelta(minutes=30))

Everything is a function of the seed: two worlds built with one seed dump to the same
bytes (`dump.py`), and their series have the same values at every instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.stackstorm.models import Action, Execution
from core.clock import ManualClock, ensure_utc
from lab.kube.store import JsonObject, KubeStore
from lab.world.kube_estate import populate
from lab.world.kube_nodes import NodeBacking
from lab.world.metrics.catalog import define_estate
from lab.world.metrics.store import MetricStore
from lab.world.openstack_estate import OpenStackEstate, build_openstack
from lab.world.processes import LOG_WINDOW, EventExpiry, NodeHeartbeats, PodLogs, Process
from lab.world.randomness import Keyed
from lab.world.scheduler import PendingPods
from lab.world.stackstorm_catalog import action_catalog
from lab.world.vsphere_estate import VSphereEstate, build_vsphere

LAB_EPOCH = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
"""Lab time 0: a Monday, 10:00 UTC (business hours, so load is near its daily high)."""
DEFAULT_SEED = 7
MAX_LEAD = timedelta(days=1)
"""How long before the epoch a world may start (no pod restarted within the last two days)."""

K8S_VMS = [
    ("k8s-cp-01", "k8s-control-plane", 4, 8192),
    ("k8s-worker-01", "k8s-worker", 8, 32768),
    ("k8s-worker-02", "k8s-worker", 8, 32768),
    ("k8s-worker-03", "k8s-worker", 8, 32768),
    ("k8s-worker-04", "k8s-worker", 8, 32768),
]
"""Cluster machines on vSphere: (name, role, vCPUs, MiB)."""
K8S_SERVERS = [("k8s-worker-05", "k8s.worker"), ("k8s-worker-06", "k8s.worker")]
"""Cluster machines on OpenStack: (name, flavor)."""


PodHook = Callable[["World", JsonObject], bool | None]
"""Sees a pod just created by a rollout; returns False when it will never become ready."""


@dataclass(frozen=True)
class FaultRecord:
    """A fault the world went through: catalog name, target, parameters, and when."""

    name: str
    target: dict[str, str]
    params: dict[str, Any]
    at: datetime


@dataclass
class World:
    """The lab estate and everything that changes it over lab time."""

    seed: int
    epoch: datetime
    clock: ManualClock
    rng: Keyed
    vsphere: VSphereEstate
    openstack: OpenStackEstate
    nodes: list[NodeBacking]
    kube: KubeStore
    metrics: MetricStore
    actions: list[Action]
    executions: dict[str, Execution] = field(default_factory=dict)
    """StackStorm executions the lab recorded, by id."""
    logs: PodLogs = field(default_factory=PodLogs)
    heartbeats: NodeHeartbeats = field(default_factory=NodeHeartbeats)
    processes: list[Process] = field(default_factory=list)
    """Run at every advance, in order: faults' own, logs, heartbeats, scheduling, expiry."""
    pod_hooks: list[PodHook] = field(default_factory=list)
    """Called with every pod a rollout creates (an active fault decides whether it fails)."""
    faults: list[FaultRecord] = field(default_factory=list)
    """Faults applied so far (`lab.faults`), in order."""

    @classmethod
    def build(
        cls, seed: int = DEFAULT_SEED, *, epoch: datetime = LAB_EPOCH, start: datetime | None = None
    ) -> World:
        """Lay out the estate of `seed` with the clock at `start`, and its last hour of logs.

        `start` (default: `epoch`) lets a scenario begin before lab time 0, so that a fault
        with `at: -30m` happens while the clock runs: build at `epoch - 30m`, apply the fault,
        advance 30 minutes. Names, sizes, ages and series are the same for every `start`; only
        what happened just before it (the last hour of logs, a recent rollout) moves with it.
        """
        now = epoch if start is None else ensure_utc(start)
        if not epoch - MAX_LEAD <= now <= epoch:
            raise ValueError(f"start must lie within {MAX_LEAD} before the epoch {epoch}")
        rng = Keyed(seed)
        clock = ManualClock(now - LOG_WINDOW)
        vsphere = build_vsphere(rng, k8s_vms=K8S_VMS)
        openstack = build_openstack(rng, now=epoch, k8s_servers=K8S_SERVERS)
        nodes = node_backings(vsphere, openstack)
        kube = KubeStore(cluster="lab", now=clock.now)
        populate(kube, rng, nodes, clock, epoch, now=now)
        metrics = MetricStore(seed=seed, anchor=epoch)
        define_estate(
            metrics, rng, vsphere=vsphere, openstack=openstack, kube=kube, nodes=nodes, epoch=epoch
        )
        world = cls(
            seed=seed,
            epoch=epoch,
            clock=clock,
            rng=rng,
            vsphere=vsphere,
            openstack=openstack,
            nodes=nodes,
            kube=kube,
            metrics=metrics,
            actions=action_catalog(),
        )
        world.processes = [world.logs, world.heartbeats, PendingPods(), EventExpiry()]
        clock.set(now)
        world.run_processes(now - LOG_WINDOW, now)
        return world

    def now(self) -> datetime:
        """The lab clock's current instant."""
        return self.clock.now()

    def advance(self, delta: timedelta) -> datetime:
        """Move lab time forward by `delta`; logs, heartbeats and events follow. Returns now."""
        start = self.clock.now()
        end = self.clock.advance(delta)
        self.run_processes(start, end)
        return end

    def run_processes(self, start: datetime, end: datetime) -> None:
        """Run every process over `[start, end)`."""
        for process in self.processes:
            process.run(self, start, end)

    def node(self, name: str) -> NodeBacking:
        """The backing of a Kubernetes node (KeyError when none)."""
        for backing in self.nodes:
            if backing.node == name:
                return backing
        raise KeyError(name)


def node_backings(vsphere: VSphereEstate, openstack: OpenStackEstate) -> list[NodeBacking]:
    """The cluster's nodes, each linked to the VM or server it runs on."""
    backings: list[NodeBacking] = []
    for vm in vsphere.vms:
        if not vm.role.startswith("k8s"):
            continue
        backings.append(
            NodeBacking(
                node=vm.name,
                role="control-plane" if vm.role == "k8s-control-plane" else "worker",
                cloud="vsphere",
                machine=vm.name,
                machine_id=vm.instance_uuid,
                ip_address=vm.ip_address,
                cpus=vm.num_cpu,
                memory_mb=vm.memory_mb,
                region=vm.datacenter,
                zone=vm.cluster,
                instance_type=f"vsphere-{vm.num_cpu}cpu-{vm.memory_mb // 1024}gb",
                index=len(backings),
            )
        )
    for server in openstack.servers:
        if server.role != "k8s-worker":
            continue
        flavor = openstack.flavor(server.flavor_id)
        backings.append(
            NodeBacking(
                node=server.name,
                role="worker",
                cloud="openstack",
                machine=server.name,
                machine_id=server.id,
                ip_address=server.ip_address,
                cpus=flavor.vcpus,
                memory_mb=flavor.ram_mb,
                region=openstack.region,
                zone="nova",
                instance_type=flavor.name,
                index=len(backings),
            )
        )
    return backings
