"""What the Kubernetes port returns: frozen DTOs, never SDK objects.

Quantities (`cpu: 250m`, `memory: 256Mi`) stay as the API writes them in specs; measured usage is
given in cores and bytes. Timestamps are aware datetimes in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

WorkloadKind = Literal["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"]
ScalableKind = Literal["Deployment", "ReplicaSet", "StatefulSet"]
RestartableKind = Literal["Deployment", "StatefulSet", "DaemonSet"]
ContainerState = Literal["running", "waiting", "terminated", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ObjectRef(_Frozen):
    """Names one API object: kind, name and (for namespaced kinds) namespace."""

    kind: str
    name: str
    namespace: str | None = None


class Namespace(_Frozen):
    """A namespace."""

    name: str
    uid: str | None = None
    """`metadata.uid`: tells a recreated object from the one it replaces."""
    phase: str
    labels: dict[str, str] = {}
    created: datetime | None = None


class NodeCondition(_Frozen):
    """One condition of a node (`Ready`, `MemoryPressure`...)."""

    type: str
    status: str
    """`True`, `False` or `Unknown`, as the API says it."""
    reason: str | None = None
    message: str | None = None


class Taint(_Frozen):
    """A node taint."""

    key: str
    value: str | None = None
    effect: str


class Node(_Frozen):
    """A node: readiness, schedulability, conditions, taints and sizes."""

    name: str
    uid: str | None = None
    ready: bool
    """The `Ready` condition is `True`."""
    unschedulable: bool
    """Cordoned: no new pods are scheduled here."""
    conditions: tuple[NodeCondition, ...] = ()
    taints: tuple[Taint, ...] = ()
    capacity: dict[str, str] = {}
    allocatable: dict[str, str] = {}
    labels: dict[str, str] = {}
    roles: tuple[str, ...] = ()
    """From the `node-role.kubernetes.io/<role>` labels."""
    kubelet_version: str | None = None
    created: datetime | None = None


class Container(_Frozen):
    """A container as specified: image and resources."""

    name: str
    image: str | None = None
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}


class Termination(_Frozen):
    """How a container's run ended."""

    reason: str | None = None
    """`OOMKilled`, `Error`, `Completed`..."""
    exit_code: int | None = None
    message: str | None = None
    finished_at: datetime | None = None


class ContainerStatus(_Frozen):
    """What a container is doing now, and how its last run ended."""

    name: str
    ready: bool
    restart_count: int
    state: ContainerState
    reason: str | None = None
    """Why it waits or ended (`CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`)."""
    image: str | None = None
    last_termination: Termination | None = None


class PodCondition(_Frozen):
    """One condition of a pod (`PodScheduled`, `Ready`, `ContainersReady`...)."""

    type: str
    status: str
    """`True`, `False` or `Unknown`, as the API says it."""
    reason: str | None = None
    message: str | None = None


class Pod(_Frozen):
    """A pod: phase, node, containers as specified, their statuses, and the pod's conditions."""

    name: str
    namespace: str
    uid: str | None = None
    phase: str
    node: str | None = None
    labels: dict[str, str] = {}
    owner: ObjectRef | None = None
    """The controller that owns it (a ReplicaSet, StatefulSet, DaemonSet...)."""
    containers: tuple[Container, ...] = ()
    statuses: tuple[ContainerStatus, ...] = ()
    conditions: tuple[PodCondition, ...] = ()
    reason: str | None = None
    message: str | None = None
    pod_ip: str | None = None
    created: datetime | None = None

    @property
    def restarts(self) -> int:
        """Restarts of all its containers."""
        return sum(s.restart_count for s in self.statuses)


class Workload(_Frozen):
    """A Deployment, ReplicaSet, StatefulSet or DaemonSet and its rollout status."""

    kind: WorkloadKind
    name: str
    namespace: str
    uid: str | None = None
    desired: int
    """`spec.replicas` (for a DaemonSet: the nodes it should run on)."""
    ready: int
    available: int
    updated: int
    selector: dict[str, str] = {}
    """`spec.selector.matchLabels`."""
    containers: tuple[Container, ...] = ()
    labels: dict[str, str] = {}
    owner: ObjectRef | None = None
    generation: int | None = None
    observed_generation: int | None = None
    restarted_at: str | None = None
    """The pod template's `kubectl.kubernetes.io/restartedAt` annotation (last rollout restart)."""
    created: datetime | None = None


class ServicePort(_Frozen):
    """One port of a service."""

    name: str | None = None
    port: int
    target_port: str | None = None
    protocol: str = "TCP"
    node_port: int | None = None


class Service(_Frozen):
    """A service."""

    name: str
    namespace: str
    type: str
    cluster_ip: str | None = None
    selector: dict[str, str] = {}
    ports: tuple[ServicePort, ...] = ()


class EndpointAddress(_Frozen):
    """One backend address of a service, ready or not."""

    ip: str
    ready: bool
    node: str | None = None
    target: ObjectRef | None = None
    """The pod behind the address."""


class Endpoints(_Frozen):
    """The backends of a service."""

    name: str
    namespace: str
    addresses: tuple[EndpointAddress, ...] = ()
    ports: tuple[int, ...] = ()

    @property
    def ready(self) -> tuple[EndpointAddress, ...]:
        """Addresses that receive traffic."""
        return tuple(a for a in self.addresses if a.ready)


class Event(_Frozen):
    """An event about an object."""

    name: str
    namespace: str
    type: str
    """`Normal` or `Warning`."""
    reason: str
    message: str
    involved: ObjectRef
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    source: str | None = None


class NodeUsage(_Frozen):
    """Measured usage of one node."""

    name: str
    cpu_cores: float
    memory_bytes: int


class PodUsage(_Frozen):
    """Measured usage of one pod (its containers added up)."""

    name: str
    namespace: str
    cpu_cores: float
    memory_bytes: int


class ResourceUsage(_Frozen):
    """Measured usage from the metrics API, or why there is none."""

    available: bool
    reason: str | None = None
    """Why `available` is false (no metrics API in this cluster, for instance)."""
    nodes: tuple[NodeUsage, ...] = ()
    pods: tuple[PodUsage, ...] = ()


class PolicyRule(_Frozen):
    """One rule of a role."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()


class Role(_Frozen):
    """A Role (namespaced) or a ClusterRole."""

    kind: Literal["Role", "ClusterRole"]
    name: str
    namespace: str | None = None
    rules: tuple[PolicyRule, ...] = ()


class Subject(_Frozen):
    """Who a binding grants to: a User, Group or ServiceAccount."""

    kind: str
    name: str
    namespace: str | None = None


class RoleBinding(_Frozen):
    """A RoleBinding (namespaced) or a ClusterRoleBinding."""

    kind: Literal["RoleBinding", "ClusterRoleBinding"]
    name: str
    namespace: str | None = None
    role: ObjectRef
    """The Role or ClusterRole it binds."""
    subjects: tuple[Subject, ...] = ()


class Grant(_Frozen):
    """One subject allowed an action, and the binding and role that allow it."""

    subject: Subject
    binding: ObjectRef
    role: ObjectRef


class AccessSummary(_Frozen):
    """Who may do a verb on a resource (in a namespace, or cluster-wide), from RBAC objects."""

    verb: str
    resource: str
    api_group: str = ""
    namespace: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def subjects(self) -> tuple[Subject, ...]:
        """Each allowed subject once, in the order found."""
        return tuple(dict.fromkeys(g.subject for g in self.grants))
