"""Server-side printing: the `Table` kubectl asks for (`Accept: ...;as=Table;...`).

Columns for pods, nodes and deployments as the API server prints them; name and age for the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lab.kube.store import JsonObject, Resource

Column = tuple[str, str, Callable[[JsonObject, datetime], Any]]


def age(obj: JsonObject, now: datetime) -> str:
    """Age as kubectl prints it (`45s`, `12m`, `3h`, `5d`)."""
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    seconds = int((now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= size):
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def pod_status(obj: JsonObject) -> str:
    """The STATUS column: a waiting or terminated container's reason, else the phase."""
    status = obj.get("status", {})
    if obj.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    for c in status.get("containerStatuses", []):
        state = c.get("state", {})
        for key in ("waiting", "terminated"):
            if state.get(key, {}).get("reason"):
                return str(state[key]["reason"])
    return str(status.get("reason") or status.get("phase") or "Unknown")


def _pod_ready(obj: JsonObject, _: datetime) -> str:
    statuses = obj.get("status", {}).get("containerStatuses", [])
    total = len(obj.get("spec", {}).get("containers", []))
    return f"{sum(1 for c in statuses if c.get('ready'))}/{total}"


def _restarts(obj: JsonObject, _: datetime) -> int:
    return sum(c.get("restartCount", 0) for c in obj.get("status", {}).get("containerStatuses", []))


def _node_status(obj: JsonObject, _: datetime) -> str:
    conditions = obj.get("status", {}).get("conditions", [])
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    text = "Ready" if ready else "NotReady"
    return text + (",SchedulingDisabled" if obj.get("spec", {}).get("unschedulable") else "")


def _node_roles(obj: JsonObject, _: datetime) -> str:
    prefix = "node-role.kubernetes.io/"
    labels = obj.get("metadata", {}).get("labels", {})
    roles = sorted(k[len(prefix) :] for k in labels if k.startswith(prefix))
    return ",".join(roles) or "<none>"


def _name(obj: JsonObject, _: datetime) -> str:
    return str(obj["metadata"]["name"])


def _status(*keys: str) -> Callable[[JsonObject, datetime], Any]:
    def cell(obj: JsonObject, _: datetime) -> Any:
        value: Any = obj
        for key in keys:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        return value if value != {} else 0

    return cell


NAME: Column = ("Name", "name", _name)
AGE: Column = ("Age", "", age)
COLUMNS: dict[str, list[Column]] = {
    "pods": [
        NAME,
        ("Ready", "", _pod_ready),
        ("Status", "", lambda o, _: pod_status(o)),
        ("Restarts", "", _restarts),
        AGE,
    ],
    "nodes": [
        NAME,
        ("Status", "", _node_status),
        ("Roles", "", _node_roles),
        AGE,
        (
            "Version",
            "",
            lambda o, _: o.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", ""),
        ),
    ],
    "deployments": [
        NAME,
        (
            "Ready",
            "",
            lambda o, _: (
                f"{o.get('status', {}).get('readyReplicas', 0)}/"
                f"{o.get('spec', {}).get('replicas', 1)}"
            ),
        ),
        ("Up-to-date", "", _status("status", "updatedReplicas")),
        ("Available", "", _status("status", "availableReplicas")),
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
                "name": title,
                "type": "integer" if title == "Restarts" else "string",
                "format": fmt,
                "description": title,
                "priority": 0,
            }
            for title, fmt, _ in columns
        ],
        "rows": [
            {
                "cells": [cell(obj, now) for _, _, cell in columns],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj.get("metadata", {}),
                },
            }
            for obj in objects
        ],
    }
