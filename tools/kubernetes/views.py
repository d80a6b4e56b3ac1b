"""Compact views of Kubernetes DTOs: what a model needs to reason, in few tokens.

Fields that do not apply are None and left out when rendered; quantities stay as the API writes
them; times are ages (`30m`) or instants with their age.
"""

from __future__ import annotations

from datetime import datetime

from connectors.kubernetes.models import (
    Container,
    ContainerStatus,
    Event,
    Node,
    NodeCondition,
    ObjectRef,
    Pod,
    PodCondition,
    Taint,
    Termination,
    Workload,
)
from connectors.kubernetes.quantities import quantity
from tools.formatting import View, age, size, when

HEALTHY_NODE_CONDITIONS = {"Ready": "True", "NetworkUnavailable": "False"}
"""Node conditions whose healthy status is not `False` (pressure conditions are healthy False)."""


def ref(obj: ObjectRef | None) -> str | None:
    """`Kind/name`."""
    return None if obj is None else f"{obj.kind}/{obj.name}"


def resources(values: dict[str, str]) -> str | None:
    """`cpu=250m memory=256Mi`."""
    return " ".join(f"{k}={v}" for k, v in sorted(values.items())) or None


def condition(c: NodeCondition | PodCondition) -> str:
    """`Ready=False (KubeletNotReady: container runtime is down)`."""
    why = ": ".join(x for x in (c.reason, c.message) if x)
    return f"{c.type}={c.status}" + (f" ({why})" if why else "")


def memory(value: str | None) -> str | None:
    """A memory quantity in binary units (`33452032Ki` → `31.9Gi`)."""
    return None if value is None else size(quantity(value))


def taint(t: Taint) -> str:
    """`key=value:Effect`."""
    return f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}"


def termination(t: Termination | None, now: datetime) -> str | None:
    """`OOMKilled, exit 137, at 2026-11-16T09:57:10Z (3m ago)`."""
    if t is None:
        return None
    parts = [t.reason or "terminated"]
    if t.exit_code is not None:
        parts.append(f"exit {t.exit_code}")
    if t.finished_at is not None:
        parts.append(f"at {when(t.finished_at, now)}")
    if t.message:
        parts.append(t.message)
    return ", ".join(parts)


class PodLine(View):
    """One pod in a listing."""

    namespace: str
    name: str
    phase: str
    ready: str
    """Ready containers of all: `0/1`."""
    restarts: int
    reason: str | None = None
    """Why a container waits or ended (`CrashLoopBackOff`), else the pod's reason."""
    last_exit: str | None = None
    """How the most recently ended container run ended (`OOMKilled, exit 137, at ...`)."""
    node: str | None = None
    age: str | None = None


def _waiting_reason(pod: Pod) -> str | None:
    reasons = [s.reason for s in pod.statuses if s.reason and not s.ready]
    return reasons[0] if reasons else pod.reason


def _last_exit(pod: Pod, now: datetime) -> str | None:
    ended = [s.last_termination for s in pod.statuses if s.last_termination is not None]
    ended.sort(key=lambda t: t.finished_at.timestamp() if t.finished_at else 0.0)
    return termination(ended[-1], now) if ended else None


def pod_line(pod: Pod, now: datetime) -> PodLine:
    """A pod's line: phase, readiness, restarts, why it is not ready, how it last ended."""
    return PodLine(
        namespace=pod.namespace,
        name=pod.name,
        phase=pod.phase,
        ready=f"{sum(s.ready for s in pod.statuses)}/{len(pod.containers) or len(pod.statuses)}",
        restarts=pod.restarts,
        reason=_waiting_reason(pod),
        last_exit=_last_exit(pod, now),
        node=pod.node,
        age=age(pod.created, now),
    )


def pod_unhealthy(pod: Pod) -> bool:
    """Not running or succeeded, or running with a container that is not ready."""
    if pod.phase == "Succeeded":
        return False
    return pod.phase != "Running" or not all(s.ready for s in pod.statuses)


class ContainerView(View):
    """A container: as specified, and what it does now."""

    name: str
    image: str | None = None
    requests: str | None = None
    limits: str | None = None
    state: str | None = None
    """`running`, `waiting: CrashLoopBackOff`, `terminated: Error`."""
    ready: bool | None = None
    restarts: int | None = None
    last_termination: str | None = None


def container_view(spec: Container, status: ContainerStatus | None, now: datetime) -> ContainerView:
    """A container's spec and status together."""
    state = None
    if status is not None:
        state = status.state + (f": {status.reason}" if status.reason else "")
    return ContainerView(
        name=spec.name,
        image=spec.image,
        requests=resources(spec.requests),
        limits=resources(spec.limits),
        state=state,
        ready=None if status is None else status.ready,
        restarts=None if status is None else status.restart_count,
        last_termination=None if status is None else termination(status.last_termination, now),
    )


class EventLine(View):
    """One event."""

    last_seen: str | None
    """When it last happened and how long ago."""
    type: str
    reason: str
    object: str
    """`Kind/name` (with `namespace/` when events of every namespace are listed)."""
    count: int
    message: str


def event_line(event: Event, now: datetime, *, with_namespace: bool = False) -> EventLine:
    """An event's line; its message is text from the cluster (untrusted)."""
    obj = f"{event.involved.kind}/{event.involved.name}"
    if with_namespace:
        obj = f"{event.namespace}/{obj}"
    return EventLine(
        last_seen=when(event.last_seen or event.first_seen, now),
        type=event.type,
        reason=event.reason,
        object=obj,
        count=event.count,
        message=event.message,
    )


def newest_first(events: list[Event]) -> list[Event]:
    """Events sorted by when they last happened, newest first."""

    def seen(e: Event) -> float:
        at = e.last_seen or e.first_seen
        return at.timestamp() if at else 0.0

    return sorted(events, key=seen, reverse=True)


class PodDetail(View):
    """A pod described: spec, statuses, conditions and its recent events."""

    namespace: str
    name: str
    phase: str
    node: str | None = None
    ip: str | None = None
    owner: str | None = None
    age: str | None = None
    reason: str | None = None
    message: str | None = None
    conditions: list[str] | None = None
    containers: list[ContainerView]
    events: list[EventLine] | None = None
    """The pod's most recent events, newest first."""


def pod_detail(pod: Pod, events: list[Event], now: datetime) -> PodDetail:
    """Everything `kubectl describe pod` shows that matters for a diagnosis."""
    statuses = {s.name: s for s in pod.statuses}
    return PodDetail(
        namespace=pod.namespace,
        name=pod.name,
        phase=pod.phase,
        node=pod.node,
        ip=pod.pod_ip,
        owner=ref(pod.owner),
        age=age(pod.created, now),
        reason=pod.reason,
        message=pod.message,
        conditions=[condition(c) for c in pod.conditions] or None,
        containers=[container_view(c, statuses.get(c.name), now) for c in pod.containers],
        events=[event_line(e, now) for e in events] or None,
    )


class NodeLine(View):
    """One node in a listing."""

    name: str
    status: str
    """`Ready`, `NotReady`, with `,SchedulingDisabled` when cordoned (as kubectl says it)."""
    roles: str | None = None
    problems: list[str] | None = None
    """Conditions not in their healthy state."""
    taints: list[str] | None = None
    cpu: str | None = None
    """Allocatable CPU."""
    memory: str | None = None
    """Allocatable memory."""
    version: str | None = None
    age: str | None = None


def node_status(node: Node) -> str:
    """`Ready`, `NotReady`, `Ready,SchedulingDisabled`..."""
    status = "Ready" if node.ready else "NotReady"
    return status + (",SchedulingDisabled" if node.unschedulable else "")


def node_problems(node: Node) -> list[str]:
    """The node's conditions that are not healthy (Ready not True, a pressure True...)."""
    return [
        condition(c)
        for c in node.conditions
        if c.status != HEALTHY_NODE_CONDITIONS.get(c.type, "False")
    ]


def node_line(node: Node, now: datetime) -> NodeLine:
    """A node's line: status, problems, taints, allocatable sizes."""
    return NodeLine(
        name=node.name,
        status=node_status(node),
        roles=",".join(node.roles) or None,
        problems=node_problems(node) or None,
        taints=[taint(t) for t in node.taints] or None,
        cpu=node.allocatable.get("cpu"),
        memory=memory(node.allocatable.get("memory")),
        version=node.kubelet_version,
        age=age(node.created, now),
    )


class NodeDetail(View):
    """A node described."""

    name: str
    status: str
    roles: str | None = None
    conditions: list[str]
    taints: list[str] | None = None
    capacity: str | None = None
    allocatable: str | None = None
    labels: dict[str, str] | None = None
    version: str | None = None
    age: str | None = None


def node_detail(node: Node, now: datetime) -> NodeDetail:
    """Every condition, taint, size and label of a node."""
    return NodeDetail(
        name=node.name,
        status=node_status(node),
        roles=",".join(node.roles) or None,
        conditions=[condition(c) for c in node.conditions],
        taints=[taint(t) for t in node.taints] or None,
        capacity=resources(node.capacity),
        allocatable=resources(node.allocatable),
        labels=dict(node.labels) or None,
        version=node.kubelet_version,
        age=age(node.created, now),
    )


class WorkloadLine(View):
    """One workload in a listing."""

    kind: str
    namespace: str
    name: str
    ready: str
    """Ready replicas of desired: `0/3`."""
    updated: int
    available: int
    rollout: str | None = None
    """`spec change not yet observed` while the controller catches up."""
    age: str | None = None


def workload_line(w: Workload, now: datetime) -> WorkloadLine:
    """A workload's line: replicas ready, updated and available."""
    behind = (
        w.generation is not None
        and w.observed_generation is not None
        and w.observed_generation < w.generation
    )
    return WorkloadLine(
        kind=w.kind,
        namespace=w.namespace,
        name=w.name,
        ready=f"{w.ready}/{w.desired}",
        updated=w.updated,
        available=w.available,
        rollout="spec change not yet observed" if behind else None,
        age=age(w.created, now),
    )


class WorkloadDetail(View):
    """A workload described, with its pods."""

    summary: WorkloadLine
    selector: str | None = None
    owner: str | None = None
    restarted: str | None = None
    """The last `rollout restart`, when there was one."""
    containers: list[ContainerView]
    pods: list[PodLine] | None = None


def workload_detail(w: Workload, pods: list[Pod], now: datetime) -> WorkloadDetail:
    """A workload's template, selector and last restart, and its pods' lines."""
    return WorkloadDetail(
        summary=workload_line(w, now),
        selector=",".join(f"{k}={v}" for k, v in sorted(w.selector.items())) or None,
        owner=ref(w.owner),
        restarted=w.restarted_at,
        containers=[container_view(c, None, now) for c in w.containers],
        pods=[pod_line(p, now) for p in pods] or None,
    )
