"""The few controllers the lab needs: status that Kubernetes derives from other objects.

After the world (or a fault) changes pods, these recompute what the endpoints, ReplicaSet and
Deployment controllers would: endpoints list the ready pods a Service selects, a ReplicaSet
counts its ready pods, a Deployment sums its ReplicaSets. Each writes only when something
changed, so resource versions move only on real change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lab.kube.selectors import label_matches
from lab.kube.store import JsonObject, KubeStore
from lab.world.kube_objects import ts


def terminating(pod: JsonObject) -> bool:
    """True when the pod is being deleted (it has a deletionTimestamp)."""
    return bool(pod["metadata"].get("deletionTimestamp"))


def pod_ready(pod: JsonObject) -> bool:
    """True when the pod's Ready condition is True and it is not being deleted."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _selector(match_labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))


def owned_by(obj: JsonObject, parent: JsonObject) -> bool:
    """True when `obj` has `parent` as its controller."""
    uid = parent["metadata"]["uid"]
    return any(
        ref.get("uid") == uid and ref.get("controller")
        for ref in obj["metadata"].get("ownerReferences", [])
    )


def sync_endpoints(store: KubeStore, namespace: str, service: str) -> JsonObject:
    """Create or update the Endpoints of a Service from the pods it selects."""
    svc = store.get("services", service, namespace)
    selector = svc["spec"].get("selector") or {}
    pods = [
        p
        for p in store.list("pods", namespace, label_selector=_selector(selector))
        if p.get("status", {}).get("podIP") and not terminating(p)
    ]
    ports = [
        {"name": port["name"], "port": port["targetPort"], "protocol": port["protocol"]}
        for port in svc["spec"]["ports"]
    ]
    ready = [_address(p) for p in pods if pod_ready(p)]
    not_ready = [_address(p) for p in pods if not pod_ready(p)]
    subset: JsonObject = {"ports": ports}
    if ready:
        subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
    if not_ready:
        subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
    subsets = [subset] if ready or not_ready else []
    body: JsonObject = {
        "metadata": {
            "name": service,
            "namespace": namespace,
            "labels": svc["metadata"].get("labels", {}),
        },
        "subsets": subsets,
    }
    try:
        current = store.get("endpoints", service, namespace)
    except LookupError:
        body["metadata"]["creationTimestamp"] = svc["metadata"]["creationTimestamp"]
        return store.create("endpoints", body)
    if current.get("subsets") == subsets:
        return current
    current["subsets"] = subsets
    return store.replace("endpoints", current)


def _address(pod: JsonObject) -> JsonObject:
    meta = pod["metadata"]
    return {
        "ip": pod["status"]["podIP"],
        "nodeName": pod["spec"]["nodeName"],
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
        },
    }


def sync_replicaset(store: KubeStore, namespace: str, name: str) -> JsonObject:
    """Recount a ReplicaSet's pods (replicas, ready, available) into its status."""
    rs = store.get("replicasets", name, namespace)
    pods = [p for p in store.list("pods", namespace) if owned_by(p, rs) and not terminating(p)]
    ready = sum(1 for p in pods if pod_ready(p))
    status: JsonObject = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    if ready:
        status.update(readyReplicas=ready, availableReplicas=ready)
    if rs.get("status") == status:
        return rs
    rs["status"] = status
    return store.replace("replicasets", rs)


def sync_deployment(store: KubeStore, namespace: str, name: str, *, now: datetime) -> JsonObject:
    """Sum a Deployment's ReplicaSets into its status, with Available and Progressing."""
    deploy = store.get("deployments", name, namespace)
    sets = [rs for rs in store.list("replicasets", namespace) if owned_by(rs, deploy)]
    revision = deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    newest = [
        rs
        for rs in sets
        if rs["metadata"]["annotations"].get("deployment.kubernetes.io/revision") == revision
    ]
    replicas = sum(rs["status"].get("replicas", 0) for rs in sets)
    ready = sum(rs["status"].get("readyReplicas", 0) for rs in sets)
    updated = sum(rs["status"].get("replicas", 0) for rs in newest)
    desired = deploy["spec"]["replicas"]
    available = ready >= desired - _max_unavailable(desired)
    old = {c["type"]: c for c in deploy.get("status", {}).get("conditions", [])}
    new_rs = newest[0]["metadata"]["name"] if newest else name
    conditions = [
        _condition(
            old,
            "Available",
            available,
            now,
            "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if available
            else "Deployment does not have minimum availability.",
        ),
        _progressing(old, deploy, now, new_rs, complete=updated >= desired and replicas == updated),
    ]
    status: JsonObject = {
        "observedGeneration": deploy["metadata"].get("generation", 1),
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": conditions,
    }
    if ready < replicas:
        status["unavailableReplicas"] = replicas - ready
    if deploy.get("status") == status:
        return deploy
    deploy["status"] = status
    return store.replace("deployments", deploy)


def _progressing(
    old: dict[str, JsonObject], deploy: JsonObject, now: datetime, new_rs: str, *, complete: bool
) -> JsonObject:
    """Progressing: done once every pod is of the new revision; timed out after the deadline."""
    if complete:
        return _condition(
            old,
            "Progressing",
            True,
            now,
            "NewReplicaSetAvailable",
            f'ReplicaSet "{new_rs}" has successfully progressed.',
        )
    previous = old.get("Progressing")
    message = f'ReplicaSet "{new_rs}" is progressing.'
    since = now
    if previous is not None and previous["message"] == message:
        since = parse_time(previous["lastUpdateTime"])
    elif previous is not None and previous["reason"] == "ProgressDeadlineExceeded":
        return previous
    deadline = timedelta(seconds=deploy["spec"].get("progressDeadlineSeconds", 600))
    if now - since > deadline:
        return _condition(
            old,
            "Progressing",
            False,
            now,
            "ProgressDeadlineExceeded",
            f'ReplicaSet "{new_rs}" has timed out progressing.',
        )
    return _condition(old, "Progressing", True, now, "ReplicaSetUpdated", message)


def parse_time(text: str) -> datetime:
    """An API timestamp (`2026-11-16T09:40:00Z`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _max_unavailable(desired: int) -> int:
    """25% of the replicas, rounded down (the default rolling-update strategy)."""
    return desired * 25 // 100


def _condition(
    old: dict[str, JsonObject], type_: str, ok: bool, now: datetime, reason: str, message: str
) -> JsonObject:
    status = "True" if ok else "False"
    previous = old.get(type_)
    same_status = previous is not None and previous["status"] == status
    same = same_status and previous is not None and previous["message"] == message
    since = previous["lastTransitionTime"] if same_status and previous else ts(now)
    updated = previous["lastUpdateTime"] if same and previous else ts(now)
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": updated,
        "lastTransitionTime": since,
    }


def sync_app(store: KubeStore, namespace: str, deployment: str, *, now: datetime) -> None:
    """Resync everything derived from a Deployment's pods: its ReplicaSets, itself, its Service."""
    deploy = store.get("deployments", deployment, namespace)
    for rs in store.list("replicasets", namespace):
        if owned_by(rs, deploy):
            sync_replicaset(store, namespace, rs["metadata"]["name"])
    sync_deployment(store, namespace, deployment, now=now)
    match = deploy["spec"]["selector"]["matchLabels"]
    for svc in store.list("services", namespace):
        selector = svc["spec"].get("selector") or {}
        if selector and label_matches(_selector(selector), match):
            sync_endpoints(store, namespace, svc["metadata"]["name"])
