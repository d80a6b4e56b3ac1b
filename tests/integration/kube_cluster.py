"""A small, explicit lab cluster for the Kubernetes contract and kubectl tests.

Two nodes (node-b NotReady and cordoned), namespaces default/shop/kube-system, a deployment `web`
→ replicaset `web-7d9f` → two pods (`web-7d9f-oom` OOMKilled with 4 restarts and a previous
log), a statefulset `worker` whose pod has two containers, a daemonset, events, a service with
endpoints (one ready, one not), a Role and RoleBinding in `shop` and a ClusterRole bound to a
group.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lab.kube.store import KubeStore

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CREATED = "2026-05-31T09:00:00Z"


class LabClock:
    """The lab clock: a settable `now`."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _node(name: str, *, ready: bool, cordoned: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"podCIDR": "10.244.0.0/24"}
    if cordoned:
        spec["unschedulable"] = True
        spec["taints"] = [
            {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
        ]
    return {
        "metadata": {
            "name": name,
            "creationTimestamp": CREATED,
            "labels": {"kubernetes.io/hostname": name, "node-role.kubernetes.io/worker": ""},
        },
        "spec": spec,
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"},
            "conditions": [
                {
                    "type": "MemoryPressure",
                    "status": "False",
                    "reason": "KubeletHasSufficientMemory",
                },
                {
                    "type": "Ready",
                    "status": "True" if ready else "Unknown",
                    "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                    "message": "kubelet is posting ready status"
                    if ready
                    else "Kubelet stopped posting node status.",
                },
            ],
            "nodeInfo": {"kubeletVersion": "v1.32.0"},
            "addresses": [{"type": "InternalIP", "address": f"10.0.0.{1 if ready else 2}"}],
        },
    }


APP = {
    "name": "app",
    "image": "registry.lab/shop-web:1.4",
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
}


def _web_pod(name: str, *, oom: bool) -> dict[str, Any]:
    running = {"running": {"startedAt": "2026-06-01T08:50:00Z"}}
    status: dict[str, Any] = {
        "name": "app",
        "image": APP["image"],
        "ready": not oom,
        "restartCount": 4 if oom else 0,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s"}}
        if oom
        else running,
    }
    if oom:
        status["lastState"] = {
            "terminated": {
                "reason": "OOMKilled",
                "exitCode": 137,
                "finishedAt": "2026-06-01T08:58:00Z",
            }
        }
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "creationTimestamp": CREATED,
            "labels": {"app": "web", "pod-template-hash": "7d9f"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-7d9f",
                    "uid": "rs-uid",
                    "controller": True,
                },
            ],
        },
        "spec": {"nodeName": "node-a", "containers": [APP]},
        "status": {
            "phase": "Running",
            "podIP": "10.244.0.11" if oom else "10.244.0.10",
            "containerStatuses": [status],
        },
    }


def _template(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}


def build_cluster(store: KubeStore) -> KubeStore:
    """Fill an empty store with the fixture cluster; returns it."""
    for name in ("default", "kube-system", "shop"):
        store.create("namespaces", {"metadata": {"name": name}, "status": {"phase": "Active"}})
    store.create("nodes", _node("node-a", ready=True))
    node_b = store.create("nodes", _node("node-b", ready=False, cordoned=True))
    store.create(
        "deployments",
        {
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": _template([APP]),
            },
            "status": {
                "replicas": 2,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 2,
                "observedGeneration": 1,
            },
        },
    )
    store.create(
        "replicasets",
        {
            "metadata": {
                "name": "web-7d9f",
                "namespace": "shop",
                "labels": {"app": "web"},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": "web",
                        "uid": "d-uid",
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": _template([APP]),
            },
            "status": {
                "replicas": 2,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "fullyLabeledReplicas": 2,
            },
        },
    )
    store.create("pods", _web_pod("web-7d9f-ok", oom=False))
    oom = store.create("pods", _web_pod("web-7d9f-oom", oom=True))
    worker_containers = [
        {"name": "worker", "image": "registry.lab/worker:2"},
        {"name": "metrics", "image": "registry.lab/exporter:1"},
    ]
    store.create(
        "statefulsets",
        {
            "metadata": {"name": "worker", "namespace": "shop"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "worker"}},
                "template": _template(worker_containers),
            },
            "status": {
                "replicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 1,
            },
        },
    )
    store.create(
        "pods",
        {
            "metadata": {
                "name": "worker-0",
                "namespace": "shop",
                "labels": {"app": "worker"},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "StatefulSet",
                        "name": "worker",
                        "uid": "sts-uid",
                        "controller": True,
                    },
                ],
            },
            "spec": {"nodeName": "node-a", "containers": worker_containers},
            "status": {"phase": "Running"},
        },
    )
    store.create(
        "daemonsets",
        {
            "metadata": {"name": "node-exporter", "namespace": "kube-system"},
            "spec": {
                "selector": {"matchLabels": {"app": "node-exporter"}},
                "template": _template([{"name": "exporter", "image": "exporter:1"}]),
            },
            "status": {
                "desiredNumberScheduled": 2,
                "numberReady": 1,
                "numberAvailable": 1,
                "updatedNumberScheduled": 2,
            },
        },
    )
    store.create(
        "services",
        {
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.20",
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            },
        },
    )
    store.create(
        "endpoints",
        {
            "metadata": {"name": "web", "namespace": "shop"},
            "subsets": [
                {
                    "addresses": [
                        {
                            "ip": "10.244.0.10",
                            "nodeName": "node-a",
                            "targetRef": {
                                "kind": "Pod",
                                "name": "web-7d9f-ok",
                                "namespace": "shop",
                            },
                        }
                    ],
                    "notReadyAddresses": [
                        {
                            "ip": "10.244.0.11",
                            "nodeName": "node-a",
                            "targetRef": {
                                "kind": "Pod",
                                "name": "web-7d9f-oom",
                                "namespace": "shop",
                            },
                        }
                    ],
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                }
            ],
        },
    )
    store.record_event(
        oom,
        reason="BackOff",
        message="Back-off restarting failed container app in pod web-7d9f-oom",
        type_="Warning",
    )
    store.record_event(
        oom, reason="BackOff", message="Back-off restarting failed container app", type_="Warning"
    )
    store.record_event(
        node_b,
        reason="NodeNotReady",
        message="Node node-b status is now: NodeNotReady",
        type_="Warning",
        component="node-controller",
    )
    _rbac(store)
    _logs(store)
    return store


def _rbac(store: KubeStore) -> None:
    store.create(
        "roles",
        {
            "metadata": {"name": "pod-reader", "namespace": "shop"},
            "rules": [
                {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}
            ],
        },
    )
    store.create(
        "rolebindings",
        {
            "metadata": {"name": "alice-reads-pods", "namespace": "shop"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-reader",
            },
            "subjects": [
                {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}
            ],
        },
    )
    store.create(
        "clusterroles",
        {
            "metadata": {"name": "sre"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        },
    )
    store.create(
        "clusterrolebindings",
        {
            "metadata": {"name": "sre-team"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "sre",
            },
            "subjects": [{"kind": "Group", "name": "sre", "apiGroup": "rbac.authorization.k8s.io"}],
        },
    )


def _logs(store: KubeStore) -> None:
    at = T0 - timedelta(minutes=12)
    store.write_log("shop", "web-7d9f-oom", "app", "starting shop-web 1.4", at=at)
    store.write_log("shop", "web-7d9f-oom", "app", "loading catalogue cache", at=at)
    store.write_log("shop", "web-7d9f-oom", "app", "fatal: out of memory", at=at)
    store.restart_log("shop", "web-7d9f-oom", "app")
    store.write_log("shop", "web-7d9f-oom", "app", "starting shop-web 1.4", at=T0)
    for minute, text in ((20, "GET /healthz 200"), (10, "GET /cart 200"), (1, "GET /checkout 200")):
        store.write_log("shop", "web-7d9f-ok", "app", text, at=T0 - timedelta(minutes=minute))
    store.write_log("shop", "worker-0", "worker", "processing queue orders", at=T0)


def run_metrics_server(store: KubeStore) -> KubeStore:
    """Serve `metrics.k8s.io` with usage for both nodes and the two web pods."""
    store.metrics_server = True
    store.record_usage("nodes", "node-a", {"usage": {"cpu": "1200m", "memory": "6Gi"}})
    store.record_usage("nodes", "node-b", {"usage": {"cpu": "0", "memory": "0"}})
    store.record_usage(
        "pods", "web-7d9f-ok", {"app": {"cpu": "50m", "memory": "100Mi"}}, namespace="shop"
    )
    store.record_usage(
        "pods", "web-7d9f-oom", {"app": {"cpu": "250m", "memory": "250Mi"}}, namespace="shop"
    )
    return store
