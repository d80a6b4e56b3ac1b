"""Rules over nodes: a node that is not Ready, and what was running on it."""

from __future__ import annotations

from connectors.kubernetes.models import Node, Pod
from incidents.triage_report import ResourceRef
from tools.analyzers.findings import Finding

PODS_NAMED = 8
"""Pods listed by name in a NotReady finding's evidence (the rest are counted)."""


def node_ref(name: str) -> ResourceRef:
    """A node as a report names it."""
    return ResourceRef(cloud="kubernetes", kind="Node", name=name)


def not_ready(node: Node, pods: list[Pod]) -> Finding | None:
    """A node whose Ready condition is not True: its kubelet, machine or network is gone."""
    if node.ready:
        return None
    ready = next((c for c in node.conditions if c.type == "Ready"), None)
    evidence = [
        f"node {node.name}: Ready={ready.status if ready else 'missing'}"
        + (f" ({ready.reason}: {ready.message})" if ready and ready.reason else ""),
    ]
    taints = [f"{t.key}:{t.effect}" for t in node.taints]
    if taints:
        evidence.append(f"node {node.name} taints: {', '.join(taints)}")
    if pods:
        named = ", ".join(f"{p.namespace}/{p.name}" for p in pods[:PODS_NAMED])
        more = f" and {len(pods) - PODS_NAMED} more" if len(pods) > PODS_NAMED else ""
        evidence.append(f"{len(pods)} pods were scheduled on it: {named}{more}")
    unknown = ready is not None and ready.status == "Unknown"
    return Finding(
        analyzer="node_not_ready",
        resource=node_ref(node.name),
        category="host.down",
        summary=f"node {node.name} is NotReady"
        + (" (its kubelet stopped reporting)" if unknown else "")
        + (f"; {len(pods)} pods ran on it" if pods else ""),
        evidence=tuple(evidence),
        subjects=tuple(
            ResourceRef(cloud="kubernetes", kind="Pod", namespace=p.namespace, name=p.name)
            for p in pods
        ),
        weight=1.0,
    )
