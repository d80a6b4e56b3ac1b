"""The part of kube-scheduler the lab needs: where a new pod fits, and what it says when none does.

A pod fits a node that is not cordoned (NodeUnschedulable), whose NoSchedule and NoExecute
taints it tolerates (TaintToleration), and whose allocatable CPU and memory, less the requests
of the pods bound to it, hold the pod's requests (NodeResourcesFit). Among the nodes that fit,
the least allocated wins. When none fits, the pod stays Pending on no node, with PodScheduled
False (Unschedulable) and a `FailedScheduling` event that counts the nodes by reason, worded as
the scheduler words it; `PendingPods` repeats the attempt while the pod waits.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lab.kube.store import JsonObject
from lab.world import kube_objects as objects
from lab.world.kube_controllers import sync_app, terminating
from lab.world.kube_events import count_event
from lab.world.kube_nodes import NodeBacking
from lab.world.metrics.catalog import define_pod, parse_ts
from lab.world.workloads import parse_bytes, parse_cpu

if TYPE_CHECKING:
    from lab.world.world import World

RETRY = timedelta(minutes=5)
"""How often the scheduler tries an unschedulable pod again (podMaxInUnschedulablePodsDuration)."""
SCHEDULER = "default-scheduler"
_NOT_HELPFUL = "Preemption is not helpful for scheduling"
_NO_VICTIMS = "No preemption victims found for incoming pod"
"""Every lab pod has priority 0: there is never a lower-priority pod to preempt."""


@dataclass(frozen=True)
class Resources:
    """CPU (millicores) and memory (bytes)."""

    cpu_m: int
    memory: int

    def __add__(self, other: Resources) -> Resources:
        """The sum of both."""
        return Resources(self.cpu_m + other.cpu_m, self.memory + other.memory)


def requests(spec: JsonObject) -> Resources:
    """What a pod spec requests, summed over its containers."""
    total = Resources(0, 0)
    for container in spec["containers"]:
        wanted = container.get("resources", {}).get("requests", {})
        total += _resources(wanted.get("cpu", "0"), wanted.get("memory", "0"))
    return total


def free(world: World) -> dict[str, Resources]:
    """Allocatable less requested, per node a pod without tolerations of its own could use."""
    used = _requested(world)
    return {
        node["metadata"]["name"]: _allocatable(node) + _negative(used[node["metadata"]["name"]])
        for node in world.kube.list("nodes")
        if not _blocked(node, objects.DEFAULT_TOLERATIONS)
    }


def place(world: World, spec: JsonObject, preferred: Sequence[str] = ()) -> NodeBacking | None:
    """Where a pod with `spec` goes: the first `preferred` node it fits, else the least allocated.

    None when it fits no node.
    """
    fits = _fitting(world, spec)
    if not fits:
        return None
    chosen = next((n for n in preferred if n in fits), None)
    if chosen is None:
        chosen = max(fits, key=lambda n: (fits[n].cpu_m, fits[n].memory, n))
    return world.node(chosen)


def unschedulable_message(world: World, spec: JsonObject) -> str:
    """kube-scheduler's FailedScheduling message for a pod that fits no node."""
    nodes = world.kube.list("nodes")
    used = _requested(world)
    reasons: Counter[str] = Counter()
    preemption: Counter[str] = Counter()
    for node in nodes:
        blocked = _blocked(node, spec.get("tolerations", []))
        found = [blocked] if blocked else _short(node, used[node["metadata"]["name"]], spec)
        reasons.update(found)
        preemption[_NOT_HELPFUL if blocked else _NO_VICTIMS] += 1
    total = len(nodes)
    return (
        f"0/{total} nodes are available: {_counted(reasons)}. "
        f"preemption: 0/{total} nodes are available: {_counted(preemption)}."
    )


def spawn_pending(world: World, rs: JsonObject, *, suffix: str, started: datetime) -> JsonObject:
    """Create a pod of `rs` that fits no node: Pending, with the scheduler's event and series."""
    spec = rs["spec"]["template"]["spec"]
    message = unschedulable_message(world, spec)
    pod = world.kube.create(
        "pods", objects.pending_pod(rs, suffix=suffix, created=started, message=message)
    )
    define_pod(world.metrics, world.rng, pod)
    count_event(world.kube, pod, "FailedScheduling", message, "Warning", 1, SCHEDULER)
    return pod


@dataclass
class PendingPods:
    """The scheduler tries every unschedulable pod again each `RETRY`, and says so again.

    Their Deployments' status follows (a stalled rollout times out). The lab does not bind a
    waiting pod later: when room appears (a remediation scaled something down), the
    controllers delete the Pending pods instead.
    """

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Count the attempts up to `end` on each Pending pod's FailedScheduling event."""
        del start
        waiting: set[tuple[str, str]] = set()
        for pod in world.kube.list("pods"):
            if pod["spec"].get("nodeName") or terminating(pod):
                continue
            waiting.add((pod["metadata"]["namespace"], _deployment(world, pod)))
            if _fitting(world, pod["spec"]):
                continue
            elapsed = end - parse_ts(pod["metadata"]["creationTimestamp"])
            attempts = 1 + math.floor(elapsed / RETRY)
            message = unschedulable_message(world, pod["spec"])
            count_event(
                world.kube, pod, "FailedScheduling", message, "Warning", attempts, SCHEDULER
            )
        for namespace, deployment in sorted(w for w in waiting if w[1]):
            sync_app(world.kube, namespace, deployment, now=end)


def _deployment(world: World, pod: JsonObject) -> str:
    """The Deployment a pod belongs to (through its ReplicaSet), or ''."""
    namespace = pod["metadata"]["namespace"]
    for ref in pod["metadata"].get("ownerReferences", []):
        if ref["kind"] == "ReplicaSet":
            rs = world.kube.get("replicasets", ref["name"], namespace)
            owners = rs["metadata"].get("ownerReferences", [])
            return str(next((o["name"] for o in owners if o["kind"] == "Deployment"), ""))
    return ""


def _fitting(world: World, spec: JsonObject) -> dict[str, Resources]:
    """Nodes the pod fits on, with what would be left on each."""
    used = _requested(world)
    wanted = requests(spec)
    fits = {}
    for node in world.kube.list("nodes"):
        name = node["metadata"]["name"]
        if _blocked(node, spec.get("tolerations", [])) or _short(node, used[name], spec):
            continue
        fits[name] = _allocatable(node) + _negative(used[name] + wanted)
    return fits


def _requested(world: World) -> dict[str, Resources]:
    """What the pods bound to each node request."""
    used = {n["metadata"]["name"]: Resources(0, 0) for n in world.kube.list("nodes")}
    for pod in world.kube.list("pods"):
        node = pod["spec"].get("nodeName")
        if node in used and pod["status"].get("phase") not in ("Succeeded", "Failed"):
            used[node] += requests(pod["spec"])
    return used


def _resources(cpu: str, memory: str) -> Resources:
    return Resources(round(parse_cpu(cpu) * 1000), parse_bytes(memory))


def _allocatable(node: JsonObject) -> Resources:
    allocatable = node["status"]["allocatable"]
    return _resources(allocatable["cpu"], allocatable["memory"])


def _negative(amount: Resources) -> Resources:
    return Resources(-amount.cpu_m, -amount.memory)


def _blocked(node: JsonObject, tolerations: list[JsonObject]) -> str | None:
    """Why a node takes no new pod whatever its room: cordoned, or a taint not tolerated."""
    if node["spec"].get("unschedulable"):
        return "node(s) were unschedulable"
    for taint in node["spec"].get("taints", []):
        if taint["effect"] in ("NoSchedule", "NoExecute") and not any(
            _tolerates(t, taint) for t in tolerations
        ):
            return f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"
    return None


def _tolerates(toleration: JsonObject, taint: JsonObject) -> bool:
    if toleration.get("effect") not in (None, "", taint["effect"]):
        return False
    key, value = taint["key"], taint.get("value", "")
    if toleration.get("operator") == "Exists":
        return toleration.get("key") in (None, "", key)
    return bool(toleration.get("key") == key and toleration.get("value", "") == value)


def _short(node: JsonObject, used: Resources, spec: JsonObject) -> list[str]:
    """The resources the node lacks for the pod (NodeResourcesFit's reasons)."""
    room = _allocatable(node) + _negative(used)
    wanted = requests(spec)
    lacking = []
    if wanted.cpu_m > room.cpu_m:
        lacking.append("Insufficient cpu")
    if wanted.memory > room.memory:
        lacking.append("Insufficient memory")
    return lacking


def _counted(reasons: Counter[str]) -> str:
    """`1 node(s) had ..., 6 Insufficient cpu`: counts before reasons, sorted as text."""
    return ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
