"""The discovery documents of the lab's API server: versions, groups and resource lists."""

from __future__ import annotations

from typing import Any

from lab.kube.apiserver import SCALABLE
from lab.kube.store import RESOURCES, Resource

VERBS = ["create", "delete", "get", "list", "patch", "update"]
"""What the facade does with every resource (no watch, no deletecollection)."""

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-pixelview-lab",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
"""`/version`: the Kubernetes version the facade answers as."""

_CATEGORY_ALL = {"pods", "services", "deployments", "replicasets", "statefulsets", "daemonsets"}


def group_versions() -> dict[str, list[Resource]]:
    """Resources by group version (`v1`, `apps/v1`...), in the store's order."""
    found: dict[str, list[Resource]] = {}
    for resource in RESOURCES.values():
        found.setdefault(resource.api_version, []).append(resource)
    return found


def api_versions(address: str) -> dict[str, Any]:
    """`/api`: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


METRICS = "metrics.k8s.io/v1beta1"
"""The resource metrics API, served when the store's cluster runs a metrics server."""


def api_groups(*, metrics: bool = False) -> dict[str, Any]:
    """`/apis`: the named groups (with `metrics.k8s.io` when a metrics server runs)."""
    groups = []
    for group_version in [*group_versions(), *([METRICS] if metrics else [])]:
        if "/" not in group_version:
            continue
        name, version = group_version.split("/")
        entry = {"groupVersion": group_version, "version": version}
        groups.append({"name": name, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def metrics_resources() -> dict[str, Any]:
    """`/apis/metrics.k8s.io/v1beta1`: node and pod metrics, read only."""
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": METRICS,
        "resources": [
            {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics",
             "verbs": ["get", "list"]},
            {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics",
             "verbs": ["get", "list"]},
        ],
    }  # fmt: skip


def resource_list(group_version: str) -> dict[str, Any] | None:
    """`/api/v1` or `/apis/<group>/<version>`: an APIResourceList; None for an unknown one."""
    resources = group_versions().get(group_version)
    if resources is None:
        return None
    entries: list[dict[str, Any]] = []
    for r in resources:
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": VERBS,
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.plural in _CATEGORY_ALL:
            entry["categories"] = ["all"]
        entries.append(entry)
        if r.plural == "pods":
            entries.append(_subresource("pods/log", "Pod", ["get"]))
        if r.plural in SCALABLE:
            scale = _subresource(f"{r.plural}/scale", "Scale", ["get", "patch", "update"])
            entries.append(scale | {"group": "autoscaling", "version": "v1"})
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }


def _subresource(name: str, kind: str, verbs: list[str]) -> dict[str, Any]:
    return {"name": name, "singularName": "", "namespaced": True, "kind": kind, "verbs": verbs}
