"""Which part of a cluster an incident points at, read from its alert labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Where to look: a namespace, a workload, pods, a node; nothing set means everywhere."""

    namespace: str | None = None
    workload: str | None = None
    """A Deployment (or StatefulSet, DaemonSet) name."""
    pods: frozenset[str] = frozenset()
    node: str | None = None

    @classmethod
    def from_labels(cls, labels: Mapping[str, str]) -> Scope:
        """The scope kube-state-metrics and node alerts name (`namespace`, `pod`, `node`...)."""
        pods = {labels[k] for k in ("pod", "pod_name") if labels.get(k)}
        workload = labels.get("deployment") or labels.get("statefulset") or labels.get("daemonset")
        node = labels.get("node") or labels.get("kubernetes_node")
        return cls(
            namespace=labels.get("namespace") or labels.get("exported_namespace") or None,
            workload=workload or None,
            pods=frozenset(pods),
            node=node or None,
        )

    @property
    def cluster_wide(self) -> bool:
        """Nothing narrows it down."""
        return not (self.namespace or self.workload or self.pods or self.node)
