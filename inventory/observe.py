"""What the port's DTOs become in the inventory: identity, a short status, owner and summary.

Pure functions: no session, no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.kubernetes.models import Namespace, Node, ObjectRef, Pod, Workload
from inventory.models import ObjectKind


@dataclass(frozen=True, kw_only=True)
class Observed:
    """One object as one sync saw it."""

    kind: ObjectKind
    namespace: str
    """Empty for cluster-scoped kinds."""
    name: str
    uid: str | None
    labels: dict[str, str]
    status: str
    node: str | None = None
    owner: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        """`(kind, namespace, name)`: the identity within a cluster."""
        return (self.kind.value, self.namespace, self.name)


def node_status(node: Node) -> str:
    """`Ready` or `NotReady`, with `,SchedulingDisabled` when cordoned (as kubectl shows it)."""
    status = "Ready" if node.ready else "NotReady"
    return f"{status},SchedulingDisabled" if node.unschedulable else status


def pod_status(pod: Pod) -> str:
    """The pod's reason (`Evicted`), else a container's waiting or terminated reason, else phase.

    The first container that waits or ended with a reason wins, as in kubectl's STATUS column:
    a pod in `CrashLoopBackOff` shows that, not `Running`.
    """
    if pod.reason:
        return pod.reason
    for status in pod.statuses:
        if status.state in ("waiting", "terminated") and status.reason:
            return status.reason
    return pod.phase


def workload_status(workload: Workload) -> str:
    """`<ready>/<desired> ready`."""
    return f"{workload.ready}/{workload.desired} ready"


def _owner(ref: ObjectRef | None) -> str | None:
    return f"{ref.kind}/{ref.name}" if ref else None


def _summary(dto: Namespace | Node | Pod | Workload) -> dict[str, Any]:
    return dto.model_dump(mode="json", exclude={"labels", "uid"})


def namespace(ns: Namespace) -> Observed:
    """A namespace: its phase is its status."""
    return Observed(
        kind=ObjectKind.NAMESPACE,
        namespace="",
        name=ns.name,
        uid=ns.uid,
        labels=dict(ns.labels),
        status=ns.phase,
        summary=_summary(ns),
    )


def node(n: Node) -> Observed:
    """A node."""
    return Observed(
        kind=ObjectKind.NODE,
        namespace="",
        name=n.name,
        uid=n.uid,
        labels=dict(n.labels),
        status=node_status(n),
        summary=_summary(n),
    )


def workload(w: Workload) -> Observed:
    """A Deployment, StatefulSet, DaemonSet or ReplicaSet."""
    return Observed(
        kind=ObjectKind(w.kind),
        namespace=w.namespace,
        name=w.name,
        uid=w.uid,
        labels=dict(w.labels),
        status=workload_status(w),
        owner=_owner(w.owner),
        summary=_summary(w),
    )


def pod(p: Pod) -> Observed:
    """A pod, with its node and restarts."""
    return Observed(
        kind=ObjectKind.POD,
        namespace=p.namespace,
        name=p.name,
        uid=p.uid,
        labels=dict(p.labels),
        status=pod_status(p),
        node=p.node,
        owner=_owner(p.owner),
        summary=_summary(p) | {"restarts": p.restarts},
    )
