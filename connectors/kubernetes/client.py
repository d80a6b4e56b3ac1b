"""`KubernetesClient`: the Kubernetes port over the official `kubernetes` client.

The only module that imports the SDK. Every call asks for the raw JSON (`_preload_content=False`)
and maps it with `connectors.kubernetes.mapping`, the same functions the lab's in-process port
uses, so SDK objects never cross the port and both targets are read alike. The SDK is
synchronous: each call runs in a worker thread (`asyncio.to_thread`).

Connecting (`KubernetesCluster`, one per cluster; `connect_all` gives a client per cluster name):
a kubeconfig file and context (the default kubeconfig when no file is named), the in-cluster
service account, or an explicit server URL with a bearer token and CA file.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from connectors.kubernetes import mapping, patches, rbac
from connectors.kubernetes.errors import error_for_status, status_message
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
from core.errors import ConfigError, InvalidRequest, NotFound, PixelViewError, Unavailable
from core.settings import KubernetesCluster

T = TypeVar("T")
Json = dict[str, Any]
STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
_SINGULAR: dict[WorkloadKind, str] = {
    "Deployment": "deployment",
    "ReplicaSet": "replica_set",
    "StatefulSet": "stateful_set",
    "DaemonSet": "daemon_set",
}


def api_client(config: KubernetesCluster) -> k8s.ApiClient:
    """An SDK `ApiClient` for the cluster (raises `ConfigError` naming what is wrong)."""
    try:
        if config.server:
            configuration = k8s.Configuration(host=config.server.rstrip("/"))
            if config.token is not None:
                configuration.api_key = {"BearerToken": config.token.get_secret_value()}
                configuration.api_key_prefix = {"BearerToken": "Bearer"}
            configuration.verify_ssl = config.verify_tls
            if config.ca_file is not None:
                configuration.ssl_ca_cert = str(config.ca_file)
            return k8s.ApiClient(configuration)
        if config.in_cluster:
            configuration = k8s.Configuration()
            k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
            return k8s.ApiClient(configuration)
        loaded: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(config.kubeconfig) if config.kubeconfig else None,
            context=config.context,
            persist_config=False,
        )
        return loaded
    except (ConfigException, OSError, ValueError) as e:
        raise ConfigError(f"kubernetes cluster {config.name!r}: {e}") from e


def connect_all(configs: Iterable[KubernetesCluster]) -> dict[str, KubernetesClient]:
    """A client per cluster, by cluster name."""
    return {c.name: KubernetesClient.connect(c) for c in configs}


class KubernetesClient:
    """`KubernetesPort` over the official client, for one cluster."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        cluster: str,
        timeout_s: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cluster = cluster
        self._api = api
        self._core = k8s.CoreV1Api(api)
        self._apps = k8s.AppsV1Api(api)
        self._rbac = k8s.RbacAuthorizationV1Api(api)
        self._custom = k8s.CustomObjectsApi(api)
        self._timeout = timeout_s
        self._now = now

    @classmethod
    def connect(cls, config: KubernetesCluster) -> KubernetesClient:
        """A client for the cluster `config` describes."""
        return cls(api_client(config), cluster=config.name, timeout_s=config.timeout_s)

    def close(self) -> None:
        """Close the client's connections."""
        self._api.close()  # type: ignore[no-untyped-call]

    # ------------------------------------------------------------ transport

    def _error(self, e: Exception) -> PixelViewError:
        if isinstance(e, ApiException):
            reason = str(e.reason or "no answer")
            return error_for_status(
                int(e.status or 0), status_message(e.body, reason), cluster=self.cluster
            )
        return Unavailable(f"kubernetes {self.cluster}: {type(e).__name__}: {e}")

    def _raw(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        try:
            response = method(
                *args, _preload_content=False, _request_timeout=self._timeout, **kwargs
            )
            data: bytes = response.data
            return data
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            raise self._error(e) from e

    def _json(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Json:
        data = self._raw(method, *args, **kwargs)
        try:
            decoded = json.loads(data)
        except ValueError as e:
            raise Unavailable(f"kubernetes {self.cluster}: the answer is not JSON: {e}") from e
        if not isinstance(decoded, dict):
            raise Unavailable(f"kubernetes {self.cluster}: the answer is not a JSON object")
        return decoded

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    def _items(
        self,
        namespaced: Callable[..., Any],
        everywhere: Callable[..., Any],
        namespace: str | None,
        **kwargs: Any,
    ) -> list[Json]:
        query = {k: v for k, v in kwargs.items() if v}
        if namespace is None:
            return [dict(i) for i in mapping.items(self._json(everywhere, **query))]
        return [dict(i) for i in mapping.items(self._json(namespaced, namespace, **query))]

    def _workload_api(self, kind: WorkloadKind, verb: str) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self._apps, f"{verb}_{_SINGULAR[kind]}")
        return method

    # ------------------------------------------------------------------ reads

    async def list_namespaces(self) -> list[Namespace]:
        """Every namespace."""
        objects = await self._call(lambda: mapping.items(self._json(self._core.list_namespace)))
        return [mapping.namespace(o) for o in objects]

    async def list_nodes(self, *, selector: str | None = None) -> list[Node]:
        """Nodes, optionally by label selector."""
        query = {"label_selector": selector} if selector else {}
        objects = await self._call(lambda: mapping.items(self._json(self._core.list_node, **query)))
        return [mapping.node(o) for o in objects]

    async def get_node(self, *, name: str) -> Node:
        """One node."""
        return mapping.node(await self._call(lambda: self._json(self._core.read_node, name)))

    async def list_pods(
        self, *, namespace: str | None, selector: str | None = None, node: str | None = None
    ) -> list[Pod]:
        """Pods of a namespace (or all), optionally by label selector and node."""
        objects = await self._call(
            lambda: self._items(
                self._core.list_namespaced_pod,
                self._core.list_pod_for_all_namespaces,
                namespace,
                label_selector=selector,
                field_selector=f"spec.nodeName={node}" if node else None,
            )
        )
        return [mapping.pod(o) for o in objects]

    async def get_pod(self, *, namespace: str, name: str) -> Pod:
        """One pod."""
        obj = await self._call(lambda: self._json(self._core.read_namespaced_pod, name, namespace))
        return mapping.pod(obj)

    async def list_workloads(
        self, *, kind: WorkloadKind, namespace: str | None, selector: str | None = None
    ) -> list[Workload]:
        """Workloads of one kind in a namespace (or all)."""
        singular = _SINGULAR[kind]
        objects = await self._call(
            lambda: self._items(
                getattr(self._apps, f"list_namespaced_{singular}"),
                getattr(self._apps, f"list_{singular}_for_all_namespaces"),
                namespace,
                label_selector=selector,
            )
        )
        return [mapping.workload(o) for o in objects]

    async def get_workload(self, *, kind: WorkloadKind, namespace: str, name: str) -> Workload:
        """One workload."""
        read = self._workload_api(kind, "read_namespaced")
        return mapping.workload(await self._call(lambda: self._json(read, name, namespace)))

    async def list_services(self, *, namespace: str | None) -> list[Service]:
        """Services of a namespace (or all)."""
        objects = await self._call(
            lambda: self._items(
                self._core.list_namespaced_service,
                self._core.list_service_for_all_namespaces,
                namespace,
            )
        )
        return [mapping.service(o) for o in objects]

    async def get_endpoints(self, *, namespace: str, name: str) -> Endpoints:
        """The endpoints of a service."""
        read = self._core.read_namespaced_endpoints
        return mapping.endpoints(await self._call(lambda: self._json(read, name, namespace)))

    async def events(
        self, *, namespace: str | None, involved: ObjectRef | None = None
    ) -> list[Event]:
        """Events, optionally about one object."""
        objects = await self._call(
            lambda: self._items(
                self._core.list_namespaced_event,
                self._core.list_event_for_all_namespaces,
                namespace,
                field_selector=mapping.involved_selector(involved) if involved else None,
            )
        )
        return [mapping.event(o) for o in objects]

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
        query: dict[str, Any] = {"container": container, "previous": previous or None}
        if since is not None:
            query["since_seconds"] = max(1, int(since.total_seconds()))
        if tail is not None:
            query["tail_lines"] = tail
        read = self._core.read_namespaced_pod_log
        arguments = {k: v for k, v in query.items() if v is not None}
        data = await self._call(lambda: self._raw(read, pod, namespace, **arguments))
        return data.decode("utf-8", "replace")

    async def resource_usage(self, *, namespace: str | None = None) -> ResourceUsage:
        """Usage from `metrics.k8s.io`; `available=False` with the reason when it is not served."""
        group, version = "metrics.k8s.io", "v1beta1"

        def read() -> tuple[list[Json], list[Json]]:
            nodes = self._json(self._custom.list_cluster_custom_object, group, version, "nodes")
            if namespace is None:
                pods = self._json(self._custom.list_cluster_custom_object, group, version, "pods")
            else:
                pods = self._json(
                    self._custom.list_namespaced_custom_object, group, version, namespace, "pods"
                )
            return [dict(i) for i in mapping.items(nodes)], [dict(i) for i in mapping.items(pods)]

        try:
            nodes, pods = await self._call(read)
        except (NotFound, Unavailable) as e:
            # No metrics API (404), or its aggregated server is down (503): say so, cleanly.
            return ResourceUsage(available=False, reason=e.message)
        return ResourceUsage(
            available=True,
            nodes=tuple(mapping.node_usage(n) for n in nodes),
            pods=tuple(mapping.pod_usage(p) for p in pods),
        )

    async def list_roles(self, *, namespace: str | None) -> list[Role]:
        """Roles of a namespace, or the ClusterRoles."""
        if namespace is None:
            objects = await self._call(
                lambda: mapping.items(self._json(self._rbac.list_cluster_role))
            )
        else:
            list_roles = self._rbac.list_namespaced_role
            objects = await self._call(lambda: mapping.items(self._json(list_roles, namespace)))
        return [mapping.role(o) for o in objects]

    async def list_role_bindings(self, *, namespace: str | None) -> list[RoleBinding]:
        """RoleBindings of a namespace, or the ClusterRoleBindings."""
        if namespace is None:
            read = self._rbac.list_cluster_role_binding
            objects = await self._call(lambda: mapping.items(self._json(read)))
        else:
            list_bindings = self._rbac.list_namespaced_role_binding
            objects = await self._call(lambda: mapping.items(self._json(list_bindings, namespace)))
        return [mapping.role_binding(o) for o in objects]

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
        try:
            body = patches.scale_patch(replicas)
        except ValueError as e:
            raise InvalidRequest(f"kubernetes {self.cluster}: {e}") from e
        patch_scale = getattr(self._apps, f"patch_namespaced_{_SINGULAR[kind]}_scale")
        await self._call(lambda: self._raw(patch_scale, name, namespace, body, _content_type=MERGE))
        return await self.get_workload(kind=kind, namespace=namespace, name=name)

    async def rollout_restart(
        self, *, kind: RestartableKind, namespace: str, name: str
    ) -> Workload:
        """Annotate the pod template with the restart time, as kubectl does."""
        body = patches.restart_patch(self._now())
        patch = self._workload_api(kind, "patch_namespaced")
        obj = await self._call(
            lambda: self._json(patch, name, namespace, body, _content_type=STRATEGIC)
        )
        return mapping.workload(obj)

    async def delete_pod(self, *, namespace: str, name: str) -> None:
        """Delete a pod."""
        delete = self._core.delete_namespaced_pod
        await self._call(lambda: self._raw(delete, name, namespace))

    async def _node_patch(self, node: str, unschedulable: bool) -> Node:
        body = patches.cordon_patch(unschedulable)
        patch = self._core.patch_node
        return mapping.node(
            await self._call(lambda: self._json(patch, node, body, _content_type=MERGE))
        )

    async def cordon(self, *, node: str) -> Node:
        """Mark a node unschedulable."""
        return await self._node_patch(node, True)

    async def uncordon(self, *, node: str) -> Node:
        """Mark a node schedulable."""
        return await self._node_patch(node, False)

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
        try:
            body = patches.resources_patch(container, requests, limits)
        except ValueError as e:
            raise InvalidRequest(f"kubernetes {self.cluster}: {e}") from e
        read = self._workload_api(kind, "read_namespaced")
        patch = self._workload_api(kind, "patch_namespaced")

        def apply() -> Json:
            if not patches.has_container(self._json(read, name, namespace), container):
                plural = mapping.WORKLOAD_PLURALS[kind]
                raise InvalidRequest(
                    f'kubernetes {self.cluster}: {plural} "{name}" has no container "{container}"'
                )
            return self._json(patch, name, namespace, body, _content_type=STRATEGIC)

        return mapping.workload(await self._call(apply))
