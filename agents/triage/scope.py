"""Where triage looks: the clusters and scopes an incident's alerts name."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

SCOPE_LABELS = ("namespace", "pod", "deployment", "node")
"""Alert labels that narrow the analyzers' scope (as kube-state-metrics and node alerts name)."""
CLUSTER_LABELS = ("cluster", "k8s_cluster", "kubernetes_cluster")
MAX_TARGETS = 4
"""Distinct scopes analyzed per incident (an incident of 50 pods' alerts shares a few)."""


def analyze_targets(
    alert_labels: Sequence[Mapping[str, str]], clusters: Collection[str]
) -> list[dict[str, Any]]:
    """`k8s_analyze` arguments for the incident's alerts: one per distinct scope and cluster.

    An alert that names a cluster is looked for there; one that names none, in every cluster
    (there is usually one). An alert with no Kubernetes label at all is checked cluster-wide,
    since a node or DNS failure shows in alerts that name neither.
    """
    targets: list[dict[str, Any]] = []
    for labels in alert_labels:
        scope = {
            ("workload" if key == "deployment" else key): labels[key]
            for key in SCOPE_LABELS
            if labels.get(key)
        }
        owner = workload_of(scope.get("pod", ""))
        if owner and "workload" not in scope:
            # Alerts about several pods of one Deployment are one scope: its pods.
            scope["workload"] = owner
            del scope["pod"]
        named = next((labels[k] for k in CLUSTER_LABELS if labels.get(k) in clusters), None)
        for cluster in [named] if named else sorted(clusters):
            target = {**scope, "cluster": cluster}
            if target not in targets:
                targets.append(target)
    return targets[:MAX_TARGETS]


def workload_of(pod: str) -> str | None:
    """The Deployment a pod name belongs to (`api-7d9f8c6b5-x2x9q` → `api`), when it reads so."""
    parts = pod.split("-")
    if len(parts) < 3 or len(parts[-1]) != 5 or len(parts[-2]) < 5:
        return None
    return "-".join(parts[:-2])
