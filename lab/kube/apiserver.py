"""What the API server does beyond storing objects, shared by the lab's port and its REST facade.

Reading a container's log (which container, which run, which lines) and the `scale` subresource
behave here as on a real API server, so that `LabKubernetes` in-process and the official client
over the facade see the same answers and the same errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lab.kube.store import InvalidObject, JsonObject, KubeStore

SCALABLE = ("deployments", "replicasets", "statefulsets")
"""Resources with a `scale` subresource."""


def log_container(store: KubeStore, namespace: str, pod: str, container: str | None) -> str:
    """The container whose log is asked for: the named one, or the pod's only one."""
    spec = store.get("pods", pod, namespace).get("spec", {})
    names = [c.get("name") for c in spec.get("containers", [])]
    names += [c.get("name") for c in spec.get("initContainers", [])]
    if container is None:
        if len(names) == 1:
            return str(names[0])
        raise InvalidObject(
            f"a container name must be specified for pod {pod}, choose one of: "
            f"[{' '.join(map(str, names))}]"
        )
    if container not in names:
        raise InvalidObject(f"container {container} is not valid for pod {pod}")
    return container


def read_pod_log(
    store: KubeStore,
    namespace: str,
    pod: str,
    *,
    container: str | None = None,
    previous: bool = False,
    since: datetime | None = None,
    tail: int | None = None,
    timestamps: bool = False,
) -> str:
    """A container's log as the `log` subresource returns it."""
    name = log_container(store, namespace, pod, container)
    return store.read_log(
        namespace, pod, name, previous=previous, since=since, tail=tail, timestamps=timestamps
    )


def read_scale(store: KubeStore, plural: str, name: str, namespace: str) -> JsonObject:
    """The `autoscaling/v1` Scale of a workload."""
    if plural not in SCALABLE:
        raise InvalidObject(f"{plural} have no scale subresource")
    obj = store.get(plural, name, namespace)
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    labels = spec.get("selector", {}).get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            key: meta[key]
            for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if key in meta
        },
        "spec": {"replicas": spec.get("replicas", 1)},
        "status": {
            "replicas": status.get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }


def write_scale(
    store: KubeStore, plural: str, name: str, namespace: str, replicas: Any
) -> JsonObject:
    """Set a workload's `spec.replicas`; returns its new Scale."""
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise InvalidObject(
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: '
            "must be greater than or equal to 0"
        )
    read_scale(store, plural, name, namespace)
    store.patch(plural, name, namespace, {"spec": {"replicas": replicas}}, "merge")
    return read_scale(store, plural, name, namespace)
