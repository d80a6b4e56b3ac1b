"""`LabKubernetes`: the Kubernetes port over the lab's object store, in-process.

It reads the store's JSON through the connector's own mapping and writes through the store's
patches, exactly what the real client does through the REST facade; the contract tests check that
the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta

from connectors.kubernetes import mapping, patches, rbac
from connectors.kubernetes.errors import error_for_status
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
from lab.kube.apiserver import read_pod_log, write_scale
from lab.kube.authz import AccessDenied, Identity, authorize
from lab.kube.authz import Request as AuthzRequest
from lab.kube.selectors import InvalidSelector
from lab.kube.store import InvalidObject, JsonObject, KubeStore, ObjectExists, ObjectNotFound

NO_METRICS = "the metrics API (metrics.k8s.io) is not served by this cluster"


class LabKubernetes:
    """`KubernetesPort` over a `KubeStore`, as anyone or as one identity checked by RBAC."""

    def __init__(self, store: KubeStore, *, identity: Identity | None = None) -> None:
        """The port over `store`; with `identity`, each call is authorized as by the API server."""
        self._store = store
        self._identity = identity

    def _check(
        self,
        verb: str,
        plural: str,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
        api_group: str | None = None,
    ) -> None:
        """Raise `Forbidden` unless the identity may do this (always allowed without identity)."""
        if self._identity is None:
            return
        asked = AuthzRequest(verb, plural, namespace, name, subresource, api_group)
        with self._errors():
            authorize(self._store, self._identity, asked)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Under the store's lock: failures as the errors the real client raises for them."""
        try:
            with self._store.lock:
                yield
        except AccessDenied as e:
            raise error_for_status(403, str(e), cluster=self._store.cluster) from e
        except ObjectNotFound as e:
            raise error_for_status(404, str(e), cluster=self._store.cluster) from e
        except ObjectExists as e:
            raise error_for_status(409, str(e), cluster=self._store.cluster) from e
        except (InvalidObject, InvalidSelector, ValueError) as e:
            raise error_for_status(400, str(e), cluster=self._store.cluster) from e

    def _list(
        self,
        plural: str,
        namespace: str | None = None,
        *,
        labels: str | None = None,
        fields: str | None = None,
    ) -> list[JsonObject]:
        self._check("list", plural, namespace)
        with self._errors():
            return self._store.list(plural, namespace, label_selector=labels, field_selector=fields)

    def _get(self, plural: str, name: str, namespace: str | None = None) -> JsonObject:
        self._check("get", plural, namespace, name)
        with self._errors():
            return self._store.get(plural, name, namespace)

    def _patch(
        self, plural: str, name: str, namespace: str | None, patch: JsonObject, strategic: bool
    ) -> JsonObject:
        self._check("patch", plural, namespace, name)
        with self._errors():
            return self._store.patch(
                plural, name, namespace, patch, "strategic" if strategic else "merge"
            )

    # ------------------------------------------------------------------ reads

    async def list_namespaces(self) -> list[Namespace]:
        """Every namespace."""
        return [mapping.namespace(o) for o in self._list("namespaces")]

    async def list_nodes(self, *, selector: str | None = None) -> list[Node]:
        """Nodes, optionally by label selector."""
        return [mapping.node(o) for o in self._list("nodes", labels=selector)]

    async def get_node(self, *, name: str) -> Node:
        """One node."""
        return mapping.node(self._get("nodes", name))

    async def list_pods(
        self, *, namespace: str | None, selector: str | None = None, node: str | None = None
    ) -> list[Pod]:
        """Pods of a namespace (or all), optionally by label selector and node."""
        fields = f"spec.nodeName={node}" if node else None
        return [
            mapping.pod(o) for o in self._list("pods", namespace, labels=selector, fields=fields)
        ]

    async def get_pod(self, *, namespace: str, name: str) -> Pod:
        """One pod."""
        return mapping.pod(self._get("pods", name, namespace))

    async def list_workloads(
        self, *, kind: WorkloadKind, namespace: str | None, selector: str | None = None
    ) -> list[Workload]:
        """Workloads of one kind in a namespace (or all)."""
        plural = mapping.WORKLOAD_PLURALS[kind]
        return [mapping.workload(o) for o in self._list(plural, namespace, labels=selector)]

    async def get_workload(self, *, kind: WorkloadKind, namespace: str, name: str) -> Workload:
        """One workload."""
        return mapping.workload(self._get(mapping.WORKLOAD_PLURALS[kind], name, namespace))

    async def list_services(self, *, namespace: str | None) -> list[Service]:
        """Services of a namespace (or all)."""
        return [mapping.service(o) for o in self._list("services", namespace)]

    async def get_endpoints(self, *, namespace: str, name: str) -> Endpoints:
        """The endpoints of a service."""
        return mapping.endpoints(self._get("endpoints", name, namespace))

    async def events(
        self, *, namespace: str | None, involved: ObjectRef | None = None
    ) -> list[Event]:
        """Events, optionally about one object."""
        fields = mapping.involved_selector(involved) if involved else None
        return [mapping.event(o) for o in self._list("events", namespace, fields=fields)]

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
        """A container's log."""
        self._check("get", "pods", namespace, pod, "log")
        with self._errors():
            return read_pod_log(
                self._store,
                namespace,
                pod,
                container=container,
                previous=previous,
                since=self._store.now() - since if since is not None else None,
                tail=tail,
            )

    async def resource_usage(self, *, namespace: str | None = None) -> ResourceUsage:
        """Usage the world recorded, when the lab cluster runs a metrics server."""
        if not self._store.metrics_server:
            return ResourceUsage(available=False, reason=NO_METRICS)
        self._check("list", "nodes", api_group="metrics.k8s.io")
        self._check("list", "pods", namespace, api_group="metrics.k8s.io")
        with self._errors():
            nodes, pods = self._store.list_usage("nodes"), self._store.list_usage("pods", namespace)
        return ResourceUsage(
            available=True,
            nodes=tuple(mapping.node_usage(n) for n in nodes),
            pods=tuple(mapping.pod_usage(p) for p in pods),
        )

    async def list_roles(self, *, namespace: str | None) -> list[Role]:
        """Roles of a namespace, or the ClusterRoles."""
        plural = "roles" if namespace else "clusterroles"
        return [mapping.role(o) for o in self._list(plural, namespace)]

    async def list_role_bindings(self, *, namespace: str | None) -> list[RoleBinding]:
        """RoleBindings of a namespace, or the ClusterRoleBindings."""
        plural = "rolebindings" if namespace else "clusterrolebindings"
        return [mapping.role_binding(o) for o in self._list(plural, namespace)]

    async def who_can(
        self, *, verb: str, resource: str, namespace: str | None, api_group: str = ""
    ) -> AccessSummary:
        """Who may `verb` the `resource`, from the cluster's RBAC objects."""
        return await rbac.who_can(
            self, verb=verb, resource=resource, namespace=namespace, api_group=api_group
        )

    # ----------------------------------------------------------------- writes

    async def scale(
        self, *, kind: ScalableKind, namespace: str, name: str, replicas: int
    ) -> Workload:
        """Set a workload's replicas through its scale subresource."""
        plural = mapping.WORKLOAD_PLURALS[kind]
        with self._errors():
            patches.scale_patch(replicas)
        self._check("patch", plural, namespace, name, "scale")
        with self._errors():
            write_scale(self._store, plural, name, namespace, replicas)
        return await self.get_workload(kind=kind, namespace=namespace, name=name)

    async def rollout_restart(
        self, *, kind: RestartableKind, namespace: str, name: str
    ) -> Workload:
        """Annotate the pod template with the restart time, as kubectl does."""
        patch = patches.restart_patch(self._store.now())
        obj = self._patch(mapping.WORKLOAD_PLURALS[kind], name, namespace, patch, strategic=True)
        return mapping.workload(obj)

    async def delete_pod(self, *, namespace: str, name: str) -> None:
        """Delete a pod."""
        self._check("delete", "pods", namespace, name)
        with self._errors():
            self._store.delete("pods", name, namespace)

    async def cordon(self, *, node: str) -> Node:
        """Mark a node unschedulable."""
        return mapping.node(self._patch("nodes", node, None, patches.cordon_patch(True), False))

    async def uncordon(self, *, node: str) -> Node:
        """Mark a node schedulable."""
        return mapping.node(self._patch("nodes", node, None, patches.cordon_patch(False), False))

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
        """Set one container's requests and limits in the workload's pod template."""
        plural = mapping.WORKLOAD_PLURALS[kind]
        with self._errors():
            patch = patches.resources_patch(container, requests, limits)
        current = self._get(plural, name, namespace)
        with self._errors():
            if not patches.has_container(current, container):
                raise InvalidObject(f'{plural} "{name}" has no container "{container}"')
        return mapping.workload(self._patch(plural, name, namespace, patch, strategic=True))
