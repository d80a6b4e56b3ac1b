"""A node whose kubelet stops answering, and the cascade from the machine underneath it.

What the control plane does, on its own clock: 40 s without a status update and the node
controller marks the node's conditions `Unknown`, taints it unreachable and marks its pods
not ready (Endpoints drop them); 300 s later (the pods' default toleration) the taint manager
evicts them: they stay Terminating (no kubelet confirms), and their ReplicaSets start
replacements where the scheduler finds room. The node's own series and its pods' stop (no
kubelet, no node exporter, no pod to scrape); kube-state-metrics, which reads the API server,
goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lab.faults.vsphere import lose_host
from lab.kube.store import JsonObject, ObjectNotFound
from lab.world.kube_controllers import owned_by, sync_app, terminating
from lab.world.kube_objects import ts
from lab.world.metrics.overlays import Hold, Overlay
from lab.world.rollouts import schedulable, spawn_pod
from lab.world.scheduler import place
from lab.world.world import World

GRACE = timedelta(seconds=40)
"""kube-controller-manager's --node-monitor-grace-period."""
TOLERATION = timedelta(seconds=300)
"""The not-ready/unreachable toleration every pod gets by default."""
UNREACHABLE = "node.kubernetes.io/unreachable"


@dataclass
class NodeFailure:
    """The control plane's reaction to one silent node, as lab time passes."""

    node: str
    since: datetime
    marked: bool = False
    evicted: bool = False
    replaced: list[str] = field(default_factory=list)

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Mark the node after the grace period, evict and replace its pods after the toleration."""
        del start
        if not self.marked and end >= self.since + GRACE:
            self._mark(world, self.since + GRACE)
        if not self.evicted and end >= self.since + GRACE + TOLERATION:
            self._evict(world, self.since + GRACE + TOLERATION)

    def _mark(self, world: World, at: datetime) -> None:
        self.marked = True
        node = world.kube.get("nodes", self.node)
        for condition in node["status"]["conditions"]:
            condition.update(
                status="Unknown",
                reason="NodeStatusUnknown",
                message="Kubelet stopped posting node status.",
                lastTransitionTime=ts(at),
            )
        node["spec"]["taints"] = [
            *node["spec"].get("taints", []),
            {"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": ts(at)},
            {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": ts(at)},
        ]
        node = world.kube.replace("nodes", node)
        world.kube.record_event(
            node,
            reason="NodeNotReady",
            component="node-controller",
            message=f"Node {self.node} status is now: NodeNotReady",
        )
        for pod in self._pods(world):
            for condition in pod["status"]["conditions"]:
                if condition["type"] == "Ready":
                    condition.update(status="False", lastTransitionTime=ts(at))
            pod = world.kube.replace("pods", pod)
            world.kube.record_event(
                pod,
                reason="NodeNotReady",
                message="Node is not ready",
                type_="Warning",
                component="node-controller",
            )
        self._sync(world, at)

    def _evict(self, world: World, at: datetime) -> None:
        self.evicted = True
        targets = schedulable(world)
        for index, pod in enumerate(self._pods(world)):
            meta = pod["metadata"]
            meta["deletionTimestamp"] = ts(at + timedelta(seconds=30))
            meta["deletionGracePeriodSeconds"] = 30
            pod = world.kube.replace("pods", pod)
            world.kube.record_event(
                pod,
                reason="TaintManagerEviction",
                message=f"Marking for deletion Pod {meta['namespace']}/{meta['name']}",
                component="taint-eviction-controller",
            )
            owners = [r for r in meta.get("ownerReferences", []) if r["kind"] == "ReplicaSet"]
            if not owners:
                continue
            rs = world.kube.get("replicasets", owners[0]["name"], meta["namespace"])
            preferred = (
                [world.rng.choice(targets, "evicted", meta["name"], index)] if targets else []
            )
            node = place(world, rs["spec"]["template"]["spec"], preferred)
            suffix = world.rng.suffix(5, "replacement", meta["name"])
            new, _ = spawn_pod(world, rs, node=node, suffix=suffix, started=at)
            self.replaced.append(new["metadata"]["name"])
        self._sync(world, at)

    def _pods(self, world: World) -> list[JsonObject]:
        return [
            p
            for p in world.kube.list("pods", field_selector=f"spec.nodeName={self.node}")
            if not terminating(p)
        ]

    def _sync(self, world: World, at: datetime) -> None:
        for deploy in world.kube.list("deployments"):
            namespace = deploy["metadata"]["namespace"]
            sets = [rs for rs in world.kube.list("replicasets", namespace) if owned_by(rs, deploy)]
            pods = world.kube.list("pods", namespace, field_selector=f"spec.nodeName={self.node}")
            if any(owned_by(p, rs) for p in pods for rs in sets):
                sync_app(world.kube, namespace, deploy["metadata"]["name"], now=at)


def fail_node(world: World, node: str, *, reason: str) -> None:
    """Silence a node's kubelet from now on and let the control plane react."""
    world.kube.get("nodes", node)  # ObjectNotFound for a node that does not exist
    now = world.now()
    world.heartbeats.silent.add(node)
    for series in world.metrics.select(f'{{node="{node}"}}'):
        if series.name.startswith(("node_", "container_", "coredns_")) and series.end is None:
            series.end = now
    ready = {"__name__": "kube_node_status_condition", "node": node, "condition": "Ready"}
    world.metrics.overlay(Overlay(ready, now + GRACE, Hold(0.0), reason=reason))
    failure = NodeFailure(node=node, since=now)
    world.processes.insert(0, failure)


def node_not_ready(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A node's kubelet stops posting status (the machine hung, its network failed)."""
    del params
    fail_node(world, target["node"], reason="k8s.node_not_ready")


def host_down(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """An ESXi host fails: vCenter loses it, its VMs go down, their nodes go NotReady.

    The cascade that the estate's links exist for: host -> VMs -> Kubernetes nodes -> pods.
    vSphere HA does not restart the VMs within the scenario (the lab does not model HA).
    """
    del params
    host = world.vsphere.host(target["host"])
    lose_host(world, host, "notResponding", "vsphere.host_down")
    host.power_state = "unknown"
    now = world.now()
    for vm in [v for v in world.vsphere.vms if v.host == host.name]:
        for series in world.metrics.select(f'{{vm="{vm.name}"}}'):
            if series.end is None:
                series.end = now
        try:
            backing = world.node(vm.name)
        except KeyError:
            continue
        if backing.cloud == "vsphere":
            try:
                fail_node(world, backing.node, reason="vsphere.host_down")
            except ObjectNotFound:
                continue
