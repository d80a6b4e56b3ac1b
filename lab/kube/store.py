"""The lab cluster's Kubernetes API objects, in their JSON form.

One store holds what a real API server would: each object as the dict that
`kubectl get -o json` prints (`apiVersion`, `kind`, `metadata`, `spec`,
`status`), with resource versions, deterministic uids, label and field
selectors, JSON merge and strategic merge patches, events (counted as the
API server's event recorder does) and container logs (current and previous).

The world model writes here; the in-process `KubernetesPort` and the REST
facade both read and patch the same objects, so what the connector sees in a
test is exactly what `kubectl` sees over HTTP.
"""

from __future__ import annotations

import builtins
import copy
import itertools
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from lab.kube.selectors import field_matches, label_matches

JsonObject = dict[str, Any]
PatchKind = Literal["merge", "strategic"]


@dataclass(frozen=True)
class Resource:
    """A resource type the store serves: plural name, kind, API group and version."""

    plural: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """`v1` for the core group, `group/version` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version


RESOURCES: dict[str, Resource] = {
    r.plural: r
    for r in (
        Resource("namespaces", "Namespace", "", "v1", False, ("ns",)),
        Resource("nodes", "Node", "", "v1", False, ("no",)),
        Resource("pods", "Pod", "", "v1", True, ("po",)),
        Resource("services", "Service", "", "v1", True, ("svc",)),
        Resource("endpoints", "Endpoints", "", "v1", True, ("ep",)),
        Resource("events", "Event", "", "v1", True, ("ev",)),
        Resource("configmaps", "ConfigMap", "", "v1", True, ("cm",)),
        Resource("deployments", "Deployment", "apps", "v1", True, ("deploy",)),
        Resource("replicasets", "ReplicaSet", "apps", "v1", True, ("rs",)),
        Resource("statefulsets", "StatefulSet", "apps", "v1", True, ("sts",)),
        Resource("daemonsets", "DaemonSet", "apps", "v1", True, ("ds",)),
        Resource("roles", "Role", "rbac.authorization.k8s.io", "v1", True),
        Resource("rolebindings", "RoleBinding", "rbac.authorization.k8s.io", "v1", True),
        Resource("clusterroles", "ClusterRole", "rbac.authorization.k8s.io", "v1", False),
        Resource(
            "clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", False
        ),
    )
}
"""Every resource type of the lab cluster, by plural name."""

_MERGE_KEYS = ("name", "type", "containerPort", "mountPath", "ip")
"""List item keys a strategic merge patch merges on (containers by name, conditions by type...)."""


class ObjectNotFound(LookupError):
    """No object of that resource, namespace and name."""


class ObjectExists(ValueError):
    """An object of that resource, namespace and name exists already."""


class InvalidObject(ValueError):
    """An object or patch the store cannot accept; the message says why."""


@dataclass(frozen=True)
class LogLine:
    """One container log line and when it was written."""

    at: datetime
    text: str


class KubeStore:
    """The API objects, events and container logs of one lab cluster."""

    def __init__(self, *, cluster: str, now: Callable[[], datetime]) -> None:
        """An empty cluster named `cluster`, whose timestamps come from `now` (the lab clock)."""
        self.cluster = cluster
        self._now = now
        self._objects: dict[tuple[str, str, str], JsonObject] = {}
        self._versions = itertools.count(1)
        self._logs: dict[tuple[str, str, str, bool], list[LogLine]] = {}
        self.resource_version = 0
        """The newest resource version handed out (a list's `metadata.resourceVersion`)."""
        self.metrics_server = False
        """The cluster runs a metrics server: `metrics.k8s.io` is served (off: usage unknown)."""
        self._usage: dict[tuple[str, str, str], JsonObject] = {}
        self.lock = threading.RLock()
        """Held by whoever reads or changes the store from more than one thread: the port and
        the facade around each call, the demo's lab driver around each step of the world. The
        store's own methods do not take it (one thread, as in tests, needs none)."""

    def now(self) -> datetime:
        """The lab clock's time (what `sinceSeconds` and restart annotations count from)."""
        return self._now()

    # ------------------------------------------------------------------ reads

    def get(self, plural: str, name: str, namespace: str | None = None) -> JsonObject:
        """A copy of one object."""
        key = self._key(plural, name, namespace)
        try:
            return copy.deepcopy(self._objects[key])
        except KeyError:
            where = f" in namespace {namespace!r}" if namespace else ""
            raise ObjectNotFound(f'{plural} "{name}" not found{where}') from None

    def list(
        self,
        plural: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[JsonObject]:
        """Copies of a resource's objects (one namespace, or all), by namespace and name."""
        self._resource(plural)
        found = [
            obj
            for (kind, ns, _), obj in sorted(self._objects.items())
            if kind == plural
            and (namespace is None or ns == namespace)
            and (not label_selector or label_matches(label_selector, _labels(obj)))
            and (not field_selector or field_matches(field_selector, obj))
        ]
        return copy.deepcopy(found)

    # ----------------------------------------------------------------- writes

    def create(self, plural: str, obj: JsonObject) -> JsonObject:
        """Add an object; fills in kind, apiVersion, uid, resourceVersion and creationTimestamp."""
        resource = self._resource(plural)
        body = copy.deepcopy(obj)
        metadata = body.setdefault("metadata", {})
        name, namespace = metadata.get("name"), metadata.get("namespace")
        if not isinstance(name, str) or not name:
            raise InvalidObject(f"{plural}: metadata.name is required")
        if resource.namespaced and not namespace:
            raise InvalidObject(f"{plural} {name!r}: metadata.namespace is required")
        key = self._key(plural, name, namespace)
        if key in self._objects:
            raise ObjectExists(f'{plural} "{name}" already exists')
        body["apiVersion"], body["kind"] = resource.api_version, resource.kind
        if not resource.namespaced:
            metadata.pop("namespace", None)
        metadata["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.cluster}/{'/'.join(key)}"))
        metadata.setdefault("creationTimestamp", _timestamp(self._now()))
        metadata.setdefault("generation", 1)
        self._stamp(body)
        self._objects[key] = body
        return copy.deepcopy(body)

    def replace(self, plural: str, obj: JsonObject) -> JsonObject:
        """Store a changed object (read with `get`); bumps its resource version and generation."""
        metadata = obj.get("metadata", {})
        key = self._key(plural, metadata.get("name", ""), metadata.get("namespace"))
        current = self._objects.get(key)
        if current is None:
            raise ObjectNotFound(f'{plural} "{metadata.get("name")}" not found')
        body = copy.deepcopy(obj)
        body["metadata"]["uid"] = current["metadata"]["uid"]
        body["metadata"]["creationTimestamp"] = current["metadata"]["creationTimestamp"]
        generation = current["metadata"].get("generation", 1)
        changed = body.get("spec") != current.get("spec")
        body["metadata"]["generation"] = generation + 1 if changed else generation
        self._stamp(body)
        self._objects[key] = body
        return copy.deepcopy(body)

    def patch(
        self,
        plural: str,
        name: str,
        namespace: str | None,
        patch: JsonObject,
        kind: PatchKind = "strategic",
    ) -> JsonObject:
        """Apply a JSON merge patch (RFC 7386) or a strategic merge patch; returns the result."""
        if not isinstance(patch, dict):
            raise InvalidObject("a patch must be a JSON object")
        current = self.get(plural, name, namespace)
        merged = _merge(current, patch, strategic=kind == "strategic")
        meta = merged.setdefault("metadata", {})
        meta["name"], meta["namespace"] = name, current["metadata"].get("namespace")
        if meta["namespace"] is None:
            del meta["namespace"]
        return self.replace(plural, merged)

    def delete(self, plural: str, name: str, namespace: str | None = None) -> JsonObject:
        """Remove an object (and, for a pod, its logs); returns what was removed."""
        removed = self.get(plural, name, namespace)
        del self._objects[self._key(plural, name, namespace)]
        if plural == "pods":
            for key in [k for k in self._logs if k[0] == namespace and k[1] == name]:
                del self._logs[key]
            self._usage.pop(("pods", namespace or "", name), None)
        self.resource_version = next(self._versions)
        return removed

    # ----------------------------------------------------------------- events

    def record_event(
        self,
        involved: JsonObject,
        *,
        reason: str,
        message: str,
        type_: Literal["Normal", "Warning"] = "Normal",
        component: str = "kubelet",
    ) -> JsonObject:
        """Record an event about an object; a repeat of the same event bumps its count."""
        meta = involved["metadata"]
        namespace = meta.get("namespace") or "default"
        name = f"{meta['name']}.{reason.lower()}"
        now = _timestamp(self._now())
        try:
            event = self.get("events", name, namespace)
        except ObjectNotFound:
            return self.create(
                "events",
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "involvedObject": {
                        "kind": involved["kind"],
                        "apiVersion": involved["apiVersion"],
                        "namespace": meta.get("namespace"),
                        "name": meta["name"],
                        "uid": meta["uid"],
                    },
                    "reason": reason,
                    "message": message,
                    "type": type_,
                    "count": 1,
                    "firstTimestamp": now,
                    "lastTimestamp": now,
                    "source": {"component": component},
                },
            )
        event.update(message=message, type=type_, lastTimestamp=now, count=event["count"] + 1)
        return self.replace("events", event)

    # ---------------------------------------------------------------- metrics

    def record_usage(
        self,
        kind: Literal["nodes", "pods"],
        name: str,
        usage: dict[str, dict[str, str]],
        *,
        namespace: str | None = None,
        window: str = "30s",
    ) -> JsonObject:
        """Set the measured usage of a node or pod, as `metrics.k8s.io/v1beta1` reports it.

        Args:
            kind: `nodes` or `pods`.
            name: The node or pod.
            usage: For a node, `{"usage": {"cpu": "1200m", "memory": "3Gi"}}`; for a pod, one
                entry per container: `{"app": {"cpu": "250m", "memory": "200Mi"}}`.
            namespace: The pod's namespace.
            window: The span the measure covers.
        """
        metadata: JsonObject = {"name": name, "creationTimestamp": _timestamp(self._now())}
        body: JsonObject = {
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": metadata,
            "timestamp": _timestamp(self._now()),
            "window": window,
        }
        if kind == "nodes":
            body["kind"] = "NodeMetrics"
            body["usage"] = dict(usage.get("usage", {}))
        else:
            if not namespace:
                raise InvalidObject(f"pod usage of {name!r}: a namespace is required")
            metadata["namespace"] = namespace
            body["kind"] = "PodMetrics"
            body["containers"] = [{"name": c, "usage": dict(u)} for c, u in usage.items()]
        self._usage[(kind, namespace or "", name)] = body
        return copy.deepcopy(body)

    def list_usage(
        self, kind: Literal["nodes", "pods"], namespace: str | None = None
    ) -> builtins.list[JsonObject]:
        """Copies of the usage records of nodes or pods (one namespace, or all)."""
        return copy.deepcopy(
            [
                obj
                for (k, ns, _), obj in sorted(self._usage.items())
                if k == kind and (namespace is None or ns == namespace)
            ]
        )

    # ------------------------------------------------------------------- logs

    def write_log(
        self, namespace: str, pod: str, container: str, text: str, *, at: datetime | None = None
    ) -> None:
        """Append a line to a container's current log."""
        lines = self._logs.setdefault((namespace, pod, container, False), [])
        lines.append(LogLine(at or self._now(), text))

    def restart_log(self, namespace: str, pod: str, container: str) -> None:
        """A container restarted: its current log becomes the previous one."""
        current = self._logs.pop((namespace, pod, container, False), [])
        self._logs[(namespace, pod, container, True)] = current

    def read_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool = False,
        since: datetime | None = None,
        tail: int | None = None,
        timestamps: bool = False,
    ) -> str:
        """A container's log as the API returns it: lines joined, each ending in a newline."""
        lines: Iterable[LogLine] = self._logs.get((namespace, pod, container, previous), [])
        if since is not None:
            lines = [line for line in lines if line.at >= since]
        selected = list(lines)
        if tail is not None:
            selected = selected[-tail:] if tail > 0 else []
        if timestamps:
            return "".join(f"{_timestamp(line.at, nanos=True)} {line.text}\n" for line in selected)
        return "".join(f"{line.text}\n" for line in selected)

    # ---------------------------------------------------------------- helpers

    def _resource(self, plural: str) -> Resource:
        try:
            return RESOURCES[plural]
        except KeyError:
            raise InvalidObject(f"the lab cluster has no resource type {plural!r}") from None

    def _key(self, plural: str, name: str, namespace: str | None) -> tuple[str, str, str]:
        resource = self._resource(plural)
        return (plural, (namespace or "") if resource.namespaced else "", name)

    def _stamp(self, body: JsonObject) -> None:
        self.resource_version = next(self._versions)
        body["metadata"]["resourceVersion"] = str(self.resource_version)


def _labels(obj: JsonObject) -> dict[str, str]:
    labels = obj.get("metadata", {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}


def _merge(target: Any, patch: Any, *, strategic: bool) -> Any:
    """RFC 7386 merge (null deletes, lists replace); strategic also merges keyed lists."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # strategic-merge directives ($patch, $retainKeys...): not needed by the lab
        if value is None:
            result.pop(key, None)
        elif strategic and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value)
        else:
            result[key] = _merge(result.get(key), value, strategic=strategic)
    return result


def _merge_list(target: list[Any], patch: list[Any]) -> list[Any]:
    items = [*target, *patch]
    key = next(
        (k for k in _MERGE_KEYS if items and all(isinstance(i, dict) and k in i for i in items)),
        None,
    )
    if key is None:
        return copy.deepcopy(patch)
    merged = [copy.deepcopy(item) for item in target]
    for item in patch:
        index = next((n for n, old in enumerate(merged) if old[key] == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append(_merge({}, item, strategic=True))
        else:
            merged[index] = _merge(merged[index], item, strategic=True)
    return merged


def _timestamp(at: datetime, *, nanos: bool = False) -> str:
    """RFC 3339 in UTC as the API writes it (`...Z`; log timestamps with nanoseconds)."""
    if nanos:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond:06d}000Z"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")
