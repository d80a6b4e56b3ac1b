"""The Kubernetes port: what PixelView reads from and does to a cluster.

Two implementations keep one contract (tests/integration/test_kubernetes_contract.py runs the same
suite on both): `connectors.kubernetes.client.KubernetesClient` over the official client, and the
lab's `LabKubernetes` over its in-memory store.

The contract every implementation keeps:

- it returns the DTOs of `connectors.kubernetes.models`, never SDK objects;
- it raises only `core.errors` types with the API server's message: `NotFound` (no such object),
  `Forbidden` (credentials refused or RBAC denies), `InvalidRequest` (the server refused the
  request's content: a bad selector, a missing container name...), `Unavailable` (the server
  cannot be reached or failed);
- lists are sorted by namespace, then name; `namespace=None` means all namespaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from connectors.kubernetes.models import (
    AccessSummary,
    Endpoints,
    Event,
    Namespace,
    Node,
    ObjectRef,
    Pod,
    ResourceUsage,
    RestartableKind,
    Role,
    RoleBinding,
    ScalableKind,
    Service,
    Workload,
    WorkloadKind,
)


class KubernetesPort(Protocol):
    """Reads and writes of one Kubernetes cluster."""

    # ------------------------------------------------------------------ reads

    async def list_namespaces(self) -> list[Namespace]:
        """Every namespace."""
        ...

    async def list_nodes(self, *, selector: str | None = None) -> list[Node]:
        """Nodes, optionally by label selector."""
        ...

    async def get_node(self, *, name: str) -> Node:
        """One node."""
        ...

    async def list_pods(
        self, *, namespace: str | None, selector: str | None = None, node: str | None = None
    ) -> list[Pod]:
        """Pods of a namespace (or all), optionally by label selector and node."""
        ...

    async def get_pod(self, *, namespace: str, name: str) -> Pod:
        """One pod."""
        ...

    async def list_workloads(
        self, *, kind: WorkloadKind, namespace: str | None, selector: str | None = None
    ) -> list[Workload]:
        """Deployments, ReplicaSets, StatefulSets or DaemonSets of a namespace (or all)."""
        ...

    async def get_workload(self, *, kind: WorkloadKind, namespace: str, name: str) -> Workload:
        """One workload."""
        ...

    async def list_services(self, *, namespace: str | None) -> list[Service]:
        """Services of a namespace (or all)."""
        ...

    async def get_endpoints(self, *, namespace: str, name: str) -> Endpoints:
        """The endpoints of the service `name`."""
        ...

    async def events(
        self, *, namespace: str | None, involved: ObjectRef | None = None
    ) -> list[Event]:
        """Events of a namespace (or all), optionally only those about one object."""
        ...

    async def pod_logs(
        self,
        *,
        namespace: str,
        pod: str,
        container: str | None = None,
        previous: bool = False,
        since: timedelta | None = None,
        tail: int | None = 500,
    ) -> str:
        """A container's log (the pod's only container when `container` is None).

        Args:
            namespace: The pod's namespace.
            pod: The pod's name.
            container: The container; required when the pod has several.
            previous: The log of the container's previous run (before its last restart).
            since: Only lines written in this last span of time.
            tail: Only the last lines; None for all.
        """
        ...

    async def resource_usage(self, *, namespace: str | None = None) -> ResourceUsage:
        """Measured CPU and memory of nodes and pods; `available=False` without a metrics API."""
        ...

    async def list_roles(self, *, namespace: str | None) -> list[Role]:
        """Roles of a namespace, or the ClusterRoles when `namespace` is None."""
        ...

    async def list_role_bindings(self, *, namespace: str | None) -> list[RoleBinding]:
        """RoleBindings of a namespace, or the ClusterRoleBindings when `namespace` is None."""
        ...

    async def who_can(
        self, *, verb: str, resource: str, namespace: str | None, api_group: str = ""
    ) -> AccessSummary:
        """Who may `verb` the `resource` in `namespace` (None: cluster-wide), by RBAC."""
        ...

    # ----------------------------------------------------------------- writes

    async def scale(
        self, *, kind: ScalableKind, namespace: str, name: str, replicas: int
    ) -> Workload:
        """Set a workload's replicas (through its `scale` subresource)."""
        ...

    async def rollout_restart(
        self, *, kind: RestartableKind, namespace: str, name: str
    ) -> Workload:
        """Restart a workload's pods as `kubectl rollout restart` does (a template annotation)."""
        ...

    async def delete_pod(self, *, namespace: str, name: str) -> None:
        """Delete a pod (its controller, if any, replaces it)."""
        ...

    async def cordon(self, *, node: str) -> Node:
        """Mark a node unschedulable."""
        ...

    async def uncordon(self, *, node: str) -> Node:
        """Mark a node schedulable again."""
        ...

    async def set_resources(
        self,
        *,
        kind: WorkloadKind,
        namespace: str,
        name: str,
        container: str,
        requests: Mapping[str, str] | None = None,
        limits: Mapping[str, str] | None = None,
    ) -> Workload:
        """Set requests and/or limits of one container of a workload's pod template."""
        ...
