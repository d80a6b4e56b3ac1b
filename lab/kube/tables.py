"""Server-side printing: the `Table` kubectl asks for (`Accept: ...;as=Table;...`).

Columns as the API server prints them for the lab's resource types (those of priority 1 show with
`-o wide`); NAME and AGE for the rest. Ages count on the lab clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lab.kube.store import JsonObject, Resource

Cell = Callable[[JsonObject, datetime], Any]


@dataclass(frozen=True)
class Column:
    """One column: its title, how to fill a cell, and when kubectl shows it."""

    title: str
    cell: Cell
    priority: int = 0
    """0: always; 1: with `-o wide`."""
    format: str = ""


def _get(obj: Any, path: str, default: Any = None) -> Any:
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, dict) else None
    return default if obj is None else obj


def _field(path: str, default: Any = 0) -> Cell:
    return lambda obj, _: _get(obj, path, default)


def human_age(seconds: int) -> str:
    """A duration as kubectl prints it (`45s`, `12m`, `3h`, `5d`)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= size):
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _since(value: Any, now: datetime) -> str:
    if not isinstance(value, str) or not value:
        return "<unknown>"
    then = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return human_age(int((now - then).total_seconds()))


def age(obj: JsonObject, now: datetime) -> str:
    """The AGE column: time since `metadata.creationTimestamp`."""
    return _since(_get(obj, "metadata.creationTimestamp"), now)


def pod_status(obj: JsonObject) -> str:
    """The STATUS column: a waiting or terminated container's reason, else the phase."""
    if _get(obj, "metadata.deletionTimestamp"):
        return "Terminating"
    for c in _get(obj, "status.containerStatuses", []):
        for key in ("waiting", "terminated"):
            reason = _get(c, f"state.{key}.reason")
            if reason:
                return str(reason)
    return str(_get(obj, "status.reason") or _get(obj, "status.phase") or "Unknown")


def _pod_ready(obj: JsonObject, _: datetime) -> str:
    ready = sum(1 for c in _get(obj, "status.containerStatuses", []) if c.get("ready"))
    return f"{ready}/{len(_get(obj, 'spec.containers', []))}"


def _restarts(obj: JsonObject, _: datetime) -> int:
    return sum(c.get("restartCount", 0) for c in _get(obj, "status.containerStatuses", []))


def _node_status(obj: JsonObject, _: datetime) -> str:
    conditions = _get(obj, "status.conditions", [])
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    text = "Ready" if ready else "NotReady"
    return text + (",SchedulingDisabled" if _get(obj, "spec.unschedulable") else "")


def _node_roles(obj: JsonObject, _: datetime) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(
        k[len(prefix) :] for k in _get(obj, "metadata.labels", {}) if k.startswith(prefix)
    )
    return ",".join(roles) or "<none>"


def _node_ip(obj: JsonObject, _: datetime) -> str:
    addresses = _get(obj, "status.addresses", [])
    return next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "<none>")


def _ratio(ready: str, desired: str, default: int = 1) -> Cell:
    return lambda obj, _: f"{_get(obj, ready, 0)}/{_get(obj, desired, default)}"


def _ports(obj: JsonObject, _: datetime) -> str:
    ports = [
        f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/"
        f"{p.get('protocol', 'TCP')}"
        for p in _get(obj, "spec.ports", [])
    ]
    return ",".join(ports) or "<none>"


def _endpoints(obj: JsonObject, _: datetime) -> str:
    found = [
        f"{a.get('ip')}:{p.get('port')}"
        for subset in obj.get("subsets", [])
        for a in subset.get("addresses", [])
        for p in subset.get("ports", [{}])
    ]
    return ",".join(found) or "<none>"


def _involved(obj: JsonObject, _: datetime) -> str:
    return f"{_get(obj, 'involvedObject.kind', '').lower()}/{_get(obj, 'involvedObject.name', '')}"


NAME = Column("Name", lambda obj, _: str(obj["metadata"]["name"]), format="name")
AGE = Column("Age", age)
COLUMNS: dict[str, list[Column]] = {
    "namespaces": [NAME, Column("Status", _field("status.phase", "Active")), AGE],
    "nodes": [
        NAME,
        Column("Status", _node_status),
        Column("Roles", _node_roles),
        AGE,
        Column("Version", _field("status.nodeInfo.kubeletVersion", "")),
        Column("Internal-IP", _node_ip, priority=1),
    ],
    "pods": [
        NAME,
        Column("Ready", _pod_ready),
        Column("Status", lambda obj, _: pod_status(obj)),
        Column("Restarts", _restarts),
        AGE,
        Column("IP", _field("status.podIP", "<none>"), priority=1),
        Column("Node", _field("spec.nodeName", "<none>"), priority=1),
    ],
    "services": [
        NAME,
        Column("Type", _field("spec.type", "ClusterIP")),
        Column("Cluster-IP", _field("spec.clusterIP", "<none>")),
        Column("External-IP", lambda *_: "<none>"),
        Column("Port(s)", _ports),
        AGE,
    ],
    "endpoints": [NAME, Column("Endpoints", _endpoints), AGE],
    "events": [
        Column("Last Seen", lambda obj, now: _since(obj.get("lastTimestamp"), now)),
        Column("Type", _field("type", "")),
        Column("Reason", _field("reason", "")),
        Column("Object", _involved),
        Column("Message", _field("message", "")),
    ],
    "deployments": [
        NAME,
        Column("Ready", _ratio("status.readyReplicas", "spec.replicas")),
        Column("Up-to-date", _field("status.updatedReplicas")),
        Column("Available", _field("status.availableReplicas")),
        AGE,
    ],
    "replicasets": [
        NAME,
        Column("Desired", _field("spec.replicas", 1)),
        Column("Current", _field("status.replicas")),
        Column("Ready", _field("status.readyReplicas")),
        AGE,
    ],
    "statefulsets": [NAME, Column("Ready", _ratio("status.readyReplicas", "spec.replicas")), AGE],
    "daemonsets": [
        NAME,
        Column("Desired", _field("status.desiredNumberScheduled")),
        Column("Current", _field("status.currentNumberScheduled")),
        Column("Ready", _field("status.numberReady")),
        Column("Up-to-date", _field("status.updatedNumberScheduled")),
        Column("Available", _field("status.numberAvailable")),
        AGE,
    ],
}


def table(resource: Resource, objects: list[JsonObject], version: int, now: datetime) -> JsonObject:
    """A `meta.k8s.io/v1` Table of the objects, each row with its object's metadata."""
    columns = COLUMNS.get(resource.plural, [NAME, AGE])
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(version)},
        "columnDefinitions": [
            {
                "name": c.title,
                "type": "integer" if c.title == "Restarts" else "string",
                "format": c.format,
                "description": c.title,
                "priority": c.priority,
            }
            for c in columns
        ],
        "rows": [
            {
                "cells": [c.cell(obj, now) for c in columns],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj.get("metadata", {}),
                },
            }
            for obj in objects
        ],
    }
