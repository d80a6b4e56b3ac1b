"""Kubernetes objects of the lab's apps, in API JSON: ConfigMaps, Deployments, ReplicaSets, Pods.

Builders only: they return dicts for `KubeStore.create`; `kube_estate.py` decides what
exists, where, and since when.
"""

from __future__ import annotations

from datetime import datetime

from lab.kube.store import JsonObject
from lab.world.randomness import Keyed
from lab.world.workloads import App

DEFAULT_TOLERATIONS = [
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
]
"""What the DefaultTolerationSeconds admission plugin adds to every pod."""


def ts(at: datetime) -> str:
    """RFC 3339 as the API writes it."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def owner(obj: JsonObject) -> JsonObject:
    """An ownerReference to `obj` as its controller."""
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def selector_labels(app: App) -> dict[str, str]:
    """The labels a Deployment selects its pods by (and its Service too)."""
    return {"app": app.name}


def configmap(app: App, created: datetime) -> JsonObject:
    """The app's `<name>-config` ConfigMap."""
    return {
        "metadata": {
            "name": f"{app.name}-config",
            "namespace": app.namespace,
            "labels": selector_labels(app),
            "creationTimestamp": ts(created),
        },
        "data": dict(sorted(app.config.items())),
    }


def _ports(app: App) -> list[JsonObject]:
    if app.port is None:
        return []
    if app.name == "coredns":
        return [
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        ]
    return [{"name": "http", "containerPort": app.port, "protocol": "TCP"}]


def _probe(app: App, *, liveness: bool) -> JsonObject | None:
    if app.port is None:
        return None
    if app.name == "coredns":
        handler: JsonObject = {
            "httpGet": {
                "path": "/ready" if not liveness else "/health",
                "port": 8181 if not liveness else 8080,
                "scheme": "HTTP",
            }
        }
    elif app.name == "redis":
        handler = {"tcpSocket": {"port": app.port}}
    else:
        handler = {"httpGet": {"path": "/healthz", "port": app.port, "scheme": "HTTP"}}
    timings = {
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
        "initialDelaySeconds": 10 if liveness else 0,
    }
    return {**handler, **timings}


def pod_template(app: App, image: str) -> JsonObject:
    """`spec.template` of the app's Deployment (and ReplicaSets)."""
    container: JsonObject = {
        "name": app.container_name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": _ports(app),
        "resources": {
            "requests": {"cpu": app.cpu_request, "memory": app.memory_request},
            "limits": {"cpu": app.cpu_limit, "memory": app.memory_limit},
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if app.config:
        container["envFrom"] = [{"configMapRef": {"name": f"{app.name}-config"}}]
    for field, liveness in (("readinessProbe", False), ("livenessProbe", True)):
        probe = _probe(app, liveness=liveness)
        if probe:
            container[field] = probe
    return {
        "metadata": {"labels": {**selector_labels(app), "app.kubernetes.io/name": app.name}},
        "spec": {
            "containers": [container],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "Default" if app.name == "coredns" else "ClusterFirst",
            "serviceAccountName": "default",
            "schedulerName": "default-scheduler",
            "securityContext": {},
        },
    }


def deployment(app: App, image: str, *, created: datetime, revision: int) -> JsonObject:
    """The app's Deployment (status filled in by `kube_controllers.sync_deployment`)."""
    return {
        "metadata": {
            "name": app.name,
            "namespace": app.namespace,
            "labels": selector_labels(app),
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "creationTimestamp": ts(created),
            "generation": revision,
        },
        "spec": {
            "replicas": app.replicas,
            "selector": {"matchLabels": selector_labels(app)},
            "template": pod_template(app, image),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {},
    }


def replicaset(
    app: App,
    image: str,
    *,
    parent: JsonObject,
    template_hash: str,
    replicas: int,
    revision: int,
    created: datetime,
) -> JsonObject:
    """A ReplicaSet of the Deployment `parent`, owned by it."""
    template = pod_template(app, image)
    template["metadata"]["labels"]["pod-template-hash"] = template_hash
    labels = {**selector_labels(app), "pod-template-hash": template_hash}
    return {
        "metadata": {
            "name": f"{app.name}-{template_hash}",
            "namespace": app.namespace,
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(app.replicas),
                "deployment.kubernetes.io/max-replicas": str(app.replicas + 1),
                "deployment.kubernetes.io/revision": str(revision),
            },
            "ownerReferences": [owner(parent)],
            "creationTimestamp": ts(created),
        },
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
        "status": {},
    }


def pod(
    rng: Keyed,
    rs: JsonObject,
    *,
    suffix: str,
    node: str,
    host_ip: str,
    pod_ip: str,
    started: datetime,
    restarts: int,
    last_exit: datetime | None,
) -> JsonObject:
    """A running, ready pod of ReplicaSet `rs` on `node`."""
    name = f"{rs['metadata']['name']}-{suffix}"
    spec = {**_pod_spec(rs), "nodeName": node}
    container = spec["containers"][0]
    image = container["image"]
    running_since = last_exit or started
    status: JsonObject = {
        "name": container["name"],
        "image": image,
        "imageID": f"{image.rsplit(':', 1)[0]}@sha256:{rng.digest('image', image).hex()}",
        "containerID": f"containerd://{rng.digest('container', name, restarts).hex()}",
        "ready": True,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ts(running_since)}},
        "lastState": {},
    }
    if last_exit is not None and restarts:
        status["lastState"] = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": ts(started),
                "finishedAt": ts(last_exit),
                "containerID": f"containerd://{rng.digest('container', name, restarts - 1).hex()}",
            }
        }
    conditions = [
        {
            "type": kind,
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": ts(
                running_since if kind in ("Ready", "ContainersReady") else started
            ),
        }
        for kind in (
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        )
    ]
    return {
        "metadata": _pod_meta(rs, suffix, started),
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": ts(started),
            "qosClass": _qos(container),
            "containerStatuses": [status],
        },
    }


def pending_pod(rs: JsonObject, *, suffix: str, created: datetime, message: str) -> JsonObject:
    """A pod of ReplicaSet `rs` that the scheduler could not place: Pending, on no node.

    As the API server holds it: no `nodeName`, no IPs, no container statuses, and one
    condition, PodScheduled False with reason Unschedulable and the scheduler's `message`.
    """
    spec = _pod_spec(rs)
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
        "lastProbeTime": None,
        "lastTransitionTime": ts(created),
    }
    return {
        "metadata": _pod_meta(rs, suffix, created),
        "spec": spec,
        "status": {
            "phase": "Pending",
            "conditions": [condition],
            "qosClass": _qos(spec["containers"][0]),
        },
    }


def _pod_meta(rs: JsonObject, suffix: str, created: datetime) -> JsonObject:
    return {
        "name": f"{rs['metadata']['name']}-{suffix}",
        "generateName": f"{rs['metadata']['name']}-",
        "namespace": rs["metadata"]["namespace"],
        "labels": dict(rs["spec"]["template"]["metadata"]["labels"]),
        "ownerReferences": [owner(rs)],
        "creationTimestamp": ts(created),
    }


def _pod_spec(rs: JsonObject) -> JsonObject:
    """The pod spec the API server stores for a pod of `rs`, before the scheduler binds it."""
    return {
        **rs["spec"]["template"]["spec"],
        "tolerations": DEFAULT_TOLERATIONS,
        "enableServiceLinks": True,
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
    }


def _qos(container: JsonObject) -> str:
    limits, requests = container["resources"]["limits"], container["resources"]["requests"]
    return "Guaranteed" if limits == requests else "Burstable"


def service(app: App, *, cluster_ip: str, created: datetime) -> JsonObject:
    """The ClusterIP Service in front of the app."""
    if app.name == "coredns":
        ports = [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
        ]
    else:
        ports = [
            {"name": "http", "port": app.service_port, "protocol": "TCP", "targetPort": app.port}
        ]
    return {
        "metadata": {
            "name": "kube-dns" if app.name == "coredns" else app.name,
            "namespace": app.namespace,
            "labels": selector_labels(app),
            "creationTimestamp": ts(created),
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
            "selector": selector_labels(app),
            "ports": ports,
        },
        "status": {"loadBalancer": {}},
    }
