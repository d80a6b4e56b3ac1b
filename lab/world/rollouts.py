"""A Deployment rollout as the controllers do it: new revision, new ReplicaSet, pods replaced.

Faults that change a pod template (a memory limit cut, a bad image, a broken config) and
remediations that undo them (`kubernetes.set_memory_limit`, `rollout_undo`) go through here,
so the cluster keeps its history: the previous ReplicaSet stays, scaled to 0, and the events
tell the story.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from lab.kube.store import JsonObject, KubeStore
from lab.world import kube_objects as objects
from lab.world.kube_controllers import owned_by, parse_time, pod_ready, sync_app, terminating
from lab.world.kube_nodes import NodeBacking
from lab.world.kube_objects import ts
from lab.world.metrics.catalog import define_pod, retire_pod
from lab.world.scheduler import place, spawn_pending
from lab.world.workloads import parse_bytes, parse_cpu
from lab.world.world import World

REVISION = "deployment.kubernetes.io/revision"


def roll_out(
    world: World,
    namespace: str,
    name: str,
    *,
    patch: JsonObject | None = None,
    template: JsonObject | None = None,
) -> list[JsonObject]:
    """Change the Deployment's pod template (a strategic `patch`, or a whole `template`) now.

    As the Deployment controller does: the revision goes up; a ReplicaSet whose template
    equals the new one is scaled back up (a rollback), otherwise a new one is created; every
    old pod is replaced (on the same node: the lab models no scheduling pressure here) and
    the old ReplicaSets are scaled to 0. Each new pod goes through `world.pod_hooks`, so an
    active fault decides whether it fails too. Returns the new pods.
    """
    store, rng = world.kube, world.rng
    deploy = store.get("deployments", name, namespace)
    revision = int(deploy["metadata"]["annotations"].get(REVISION, "1")) + 1
    if template is not None:
        deploy["spec"]["template"] = _without_hash(template)
        deploy["metadata"]["annotations"][REVISION] = str(revision)
        deploy = store.replace("deployments", deploy)
    else:
        deploy = store.patch(
            "deployments",
            name,
            namespace,
            {
                "metadata": {"annotations": {REVISION: str(revision)}},
                "spec": {"template": patch or {}},
            },
        )
    owned = [rs for rs in store.list("replicasets", namespace) if owned_by(rs, deploy)]
    replicas = deploy["spec"]["replicas"]
    same = [
        rs for rs in owned if _without_hash(rs["spec"]["template"]) == deploy["spec"]["template"]
    ]
    if same:
        target = store.patch(
            "replicasets",
            same[0]["metadata"]["name"],
            namespace,
            {
                "metadata": {"annotations": {REVISION: str(revision)}},
                "spec": {"replicas": replicas},
            },
        )
    else:
        target = store.create("replicasets", _replicaset(world, deploy, revision))
    old_sets = [rs for rs in owned if rs["metadata"]["uid"] != target["metadata"]["uid"]]
    old_pods = [p for p in store.list("pods", namespace) if any(owned_by(p, rs) for rs in old_sets)]
    rs_name = target["metadata"]["name"]
    ready_nodes = schedulable(world)
    nodes = [
        p["spec"].get("nodeName") for p in old_pods if p["spec"].get("nodeName") in ready_nodes
    ]
    nodes = nodes or ready_nodes
    surge, unavailable = -(-replicas * 25 // 100), replicas * 25 // 100
    created: list[JsonObject] = []
    stalled = False
    running = len(
        [p for p in store.list("pods", namespace) if owned_by(p, target) and not terminating(p)]
    )
    for index in range(running, replicas):
        if stalled and old_pods and len(created) >= surge + unavailable:
            break  # new pods that never become ready use up the surge: the rollout stalls
        preferred = [nodes[index % len(nodes)]] if nodes else []
        node = place(world, target["spec"]["template"]["spec"], preferred)
        suffix = rng.suffix(5, "pod", namespace, name, revision, index)
        pod, ready = spawn_pod(world, target, node=node, suffix=suffix, started=world.now())
        stalled = stalled or not ready
        created.append(pod)
    _event(
        store,
        deploy,
        "ScalingReplicaSet",
        f"Scaled up replica set {rs_name} to {running + len(created)}",
        "deployment-controller",
    )
    if running + len(created) < replicas:
        store.patch(
            "replicasets", rs_name, namespace, {"spec": {"replicas": running + len(created)}}
        )
        old_pods = old_pods[:unavailable]  # only what maxUnavailable allows goes
    for rs in old_sets:
        _remove(world, deploy, rs, [p for p in old_pods if owned_by(p, rs)])
    sync_app(store, namespace, name, now=world.now())
    return created


def set_resource(
    world: World, target: dict[str, Any], resource: str, kind: str, value: str
) -> list[JsonObject]:
    """Set a container's `kind` (limits or requests) of `resource`, and roll out; the new pods.

    `target` names `namespace`, `deployment` and optionally `container` (default: the first).
    The other of the pair follows where the API server would refuse it (a request above its
    limit): a lower limit brings the request down, a higher request takes the limit up.
    """
    namespace, name = target["namespace"], target["deployment"]
    deploy = world.kube.get("deployments", name, namespace)
    containers = deploy["spec"]["template"]["spec"]["containers"]
    container = target.get("container") or containers[0]["name"]
    current = next(c for c in containers if c["name"] == container)["resources"]
    other = "requests" if kind == "limits" else "limits"
    resources = {kind: {resource: value}}
    paired = current.get(other, {}).get(resource)
    if paired is not None:
        request, limit = (paired, value) if kind == "limits" else (value, paired)
        amount = parse_bytes if resource == "memory" else parse_cpu
        if amount(request) > amount(limit):
            resources[other] = {resource: value}
    patch = {"spec": {"containers": [{"name": container, "resources": resources}]}}
    return roll_out(world, namespace, name, patch=patch)


def scale(world: World, namespace: str, name: str, replicas: int) -> list[JsonObject]:
    """Set a Deployment's replica count now, as its controllers do; returns the new pods.

    The ReplicaSet of the current revision takes the change. New pods go where the scheduler
    places them (Pending where nothing fits); surplus pods go in the ReplicaSet controller's
    order: unscheduled first, then Pending, not ready, and the youngest. Once that ReplicaSet
    has all its replicas ready, older ReplicaSets are scaled to 0 (a stalled rollout ends).
    """
    store = world.kube
    deploy = store.patch("deployments", name, namespace, {"spec": {"replicas": replicas}})
    revision = deploy["metadata"]["annotations"].get(REVISION, "1")
    owned = [rs for rs in store.list("replicasets", namespace) if owned_by(rs, deploy)]
    current = next(rs for rs in owned if rs["metadata"]["annotations"].get(REVISION) == revision)
    pods = [p for p in store.list("pods", namespace) if owned_by(p, current) and not terminating(p)]
    created = []
    for index in range(len(pods), replicas):
        node = place(world, current["spec"]["template"]["spec"])
        suffix = world.rng.suffix(5, "scale", namespace, name, revision, index, ts(world.now()))
        pod, _ = spawn_pod(world, current, node=node, suffix=suffix, started=world.now())
        created.append(pod)
    surplus = sorted(pods, key=_deletion_order)[: max(0, len(pods) - replicas)]
    if len(pods) < replicas:
        _scaled(store, deploy, current, replicas)
    _remove(world, deploy, current, surplus)
    ready = [p for p in store.list("pods", namespace) if owned_by(p, current) and pod_ready(p)]
    if len(ready) >= replicas:
        for rs in owned:
            if rs["metadata"]["uid"] != current["metadata"]["uid"]:
                mine = [p for p in store.list("pods", namespace) if owned_by(p, rs)]
                _remove(world, deploy, rs, mine)
    sync_app(store, namespace, name, now=world.now())
    return created


def _deletion_order(pod: JsonObject) -> tuple[bool, bool, bool, float]:
    """The ReplicaSet controller's order: unscheduled, Pending, unready, then young pods first."""
    created = parse_time(pod["metadata"]["creationTimestamp"])
    return (
        bool(pod["spec"].get("nodeName")),
        pod["status"].get("phase") != "Pending",
        pod_ready(pod),
        -created.timestamp(),
    )


def _remove(world: World, deploy: JsonObject, rs: JsonObject, pods: list[JsonObject]) -> None:
    """Delete `pods` of `rs` (the kubelet stops their containers) and scale `rs` to what is left."""
    store, namespace = world.kube, rs["metadata"]["namespace"]
    for pod in pods:
        if pod["spec"].get("nodeName"):
            container = pod["spec"]["containers"][0]["name"]
            _event(store, pod, "Killing", f"Stopping container {container}")
        store.delete("pods", pod["metadata"]["name"], namespace)
        retire_pod(world.metrics, pod, world.now())
        _event(
            store,
            rs,
            "SuccessfulDelete",
            f"Deleted pod: {pod['metadata']['name']}",
            "replicaset-controller",
        )
    left = len(store.list("pods", namespace, label_selector=_selector(rs)))
    if rs["spec"].get("replicas", 0) != left:
        _scaled(store, deploy, rs, left)


def _scaled(store: KubeStore, deploy: JsonObject, rs: JsonObject, replicas: int) -> None:
    """Set a ReplicaSet's replicas, with the Deployment controller's event."""
    before = rs["spec"].get("replicas", 0)
    store.patch(
        "replicasets",
        rs["metadata"]["name"],
        rs["metadata"]["namespace"],
        {"spec": {"replicas": replicas}},
    )
    way = "up" if replicas > before else "down"
    _event(
        store,
        deploy,
        "ScalingReplicaSet",
        f"Scaled {way} replica set {rs['metadata']['name']} to {replicas} from {before}",
        "deployment-controller",
    )


def schedulable(world: World) -> list[str]:
    """Worker nodes that are Ready and not cordoned, in order."""
    found = []
    for node in world.kube.list("nodes"):
        ready = any(
            c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"]
        )
        if ready and not node["spec"].get("unschedulable") and not node["spec"].get("taints"):
            found.append(node["metadata"]["name"])
    return found


def spawn_pod(
    world: World, rs: JsonObject, *, node: NodeBacking | None, suffix: str, started: datetime
) -> tuple[JsonObject, bool]:
    """What the ReplicaSet controller, the scheduler and the kubelet do for one new pod.

    Creates the pod on `node`, defines its series, records its events, and passes it to
    `world.pod_hooks`; returns the pod and whether it will become ready. With no node (none
    fits, `scheduler.place`), the pod stays Pending and no hook sees it.
    """
    if node is None:
        pod, ready = spawn_pending(world, rs, suffix=suffix, started=started), False
    else:
        pod, ready = _start_pod(world, rs, node=node, suffix=suffix, started=started)
    name = pod["metadata"]["name"]
    _event(world.kube, rs, "SuccessfulCreate", f"Created pod: {name}", "replicaset-controller")
    return pod, ready


def _start_pod(
    world: World, rs: JsonObject, *, node: NodeBacking, suffix: str, started: datetime
) -> tuple[JsonObject, bool]:
    """The pod bound to `node`, started by its kubelet unless a pod hook says otherwise."""
    store, meta = world.kube, rs["metadata"]
    namespace, rs_name = meta["namespace"], meta["name"]
    pod = store.create(
        "pods",
        objects.pod(
            world.rng,
            rs,
            suffix=suffix,
            node=node.node,
            host_ip=node.ip_address,
            pod_ip=_free_ip(store, world, node.index, f"{rs_name}-{suffix}"),
            started=started,
            restarts=0,
            last_exit=None,
        ),
    )
    define_pod(world.metrics, world.rng, pod)
    name = pod["metadata"]["name"]
    _event(
        store,
        pod,
        "Scheduled",
        f"Successfully assigned {namespace}/{name} to {node.node}",
        "default-scheduler",
    )
    verdicts = [hook(world, pod) for hook in list(world.pod_hooks)]
    pod = store.get("pods", name, namespace)
    if pod["status"]["containerStatuses"][0].get("started"):
        _containers_started(store, pod)
    return pod, all(v is not False for v in verdicts)


def previous_template(world: World, namespace: str, name: str) -> JsonObject:
    """The pod template of the revision before the Deployment's current one (for an undo)."""
    deploy = world.kube.get("deployments", name, namespace)
    owned = [rs for rs in world.kube.list("replicasets", namespace) if owned_by(rs, deploy)]
    current = deploy["spec"]["template"]
    older = [rs for rs in owned if _without_hash(rs["spec"]["template"]) != current]
    if not older:
        raise LookupError(f"deployment {namespace}/{name} has no previous revision")
    newest = max(older, key=lambda rs: int(rs["metadata"]["annotations"].get(REVISION, "0")))
    return _without_hash(newest["spec"]["template"])


def _without_hash(template: JsonObject) -> JsonObject:
    """A copy of a pod template without the ReplicaSet's pod-template-hash label."""
    result: JsonObject = copy.deepcopy(template)
    result.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return result


def _replicaset(world: World, deploy: JsonObject, revision: int) -> JsonObject:
    meta = deploy["metadata"]
    template_hash = world.rng.suffix(10, "rs", meta["namespace"], meta["name"], revision)
    match = deploy["spec"]["selector"]["matchLabels"]
    labels = {**match, "pod-template-hash": template_hash}
    template = _without_hash(deploy["spec"]["template"])
    template["metadata"].setdefault("labels", {})["pod-template-hash"] = template_hash
    replicas = deploy["spec"]["replicas"]
    return {
        "metadata": {
            "name": f"{meta['name']}-{template_hash}",
            "namespace": meta["namespace"],
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                REVISION: str(revision),
            },
            "ownerReferences": [objects.owner(deploy)],
        },
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
        "status": {},
    }


def _free_ip(store: KubeStore, world: World, node_index: int, pod: str) -> str:
    used = {p["status"].get("podIP") for p in store.list("pods")}
    for attempt in range(1000):
        candidate = f"10.244.{node_index}.{world.rng.integer(20, 253, 'pod-ip', pod, attempt)}"
        if candidate not in used:
            return candidate
    raise RuntimeError(f"no free pod IP on node {node_index}")


def _selector(rs: JsonObject) -> str:
    labels = rs["spec"]["selector"]["matchLabels"]
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _containers_started(store: KubeStore, pod: JsonObject) -> None:
    container = pod["spec"]["containers"][0]
    _event(
        store, pod, "Pulled", f'Container image "{container["image"]}" already present on machine'
    )
    _event(store, pod, "Created", f"Created container {container['name']}")
    _event(store, pod, "Started", f"Started container {container['name']}")


def _event(
    store: KubeStore, involved: JsonObject, reason: str, message: str, component: str = "kubelet"
) -> None:
    store.record_event(involved, reason=reason, message=message, component=component)
