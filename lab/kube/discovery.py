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


def api_groups() -> dict[str, Any]:
    """`/apis`: the named groups."""
    groups = []
    for group_version in group_versions():
        if "/" not in group_version:
            continue
        name, version = group_version.split("/")
        entry = {"groupVersion": group_version, "version": version}
        groups.append({"name": name, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


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
