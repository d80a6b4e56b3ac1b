"""The port's writes as the patches the API server takes (shared by the client and the lab)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.kubernetes.quantities import quantity

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
"""The pod template annotation `kubectl rollout restart` sets."""


def scale_patch(replicas: int) -> dict[str, Any]:
    """The merge patch of a `scale` subresource (or a workload) that sets its replicas."""
    if replicas < 0:
        raise ValueError(f"replicas must be 0 or more, not {replicas}")
    return {"spec": {"replicas": replicas}}


def restart_patch(at: datetime) -> dict[str, Any]:
    """The strategic merge patch `kubectl rollout restart` sends."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}


def cordon_patch(unschedulable: bool) -> dict[str, Any]:
    """The merge patch that cordons (or uncordons) a node."""
    return {"spec": {"unschedulable": True if unschedulable else None}}


def resources_patch(
    container: str, requests: Mapping[str, str] | None, limits: Mapping[str, str] | None
) -> dict[str, Any]:
    """The strategic merge patch that sets one container's requests and limits in a template."""
    if not requests and not limits:
        raise ValueError("set_resources needs requests or limits")
    for value in [*(requests or {}).values(), *(limits or {}).values()]:
        quantity(value)
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = dict(requests)
    if limits:
        resources["limits"] = dict(limits)
    return {
        "spec": {
            "template": {"spec": {"containers": [{"name": container, "resources": resources}]}}
        }
    }


def has_container(obj: Mapping[str, Any], name: str) -> bool:
    """The workload's pod template has a container of that name."""
    template = (obj.get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    return any(isinstance(c, dict) and c.get("name") == name for c in containers)
