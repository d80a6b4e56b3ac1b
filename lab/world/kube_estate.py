"""Lays the cluster out in a `KubeStore`: namespaces, nodes, apps, services, and one rollout.

Every app was deployed days to months before the lab's epoch and has run since (a few
containers restarted once, long ago). One app, `shop/frontend`, was rolled out to a new
version 20 minutes before the build's instant, so the cluster has what a live one has: a previous
ReplicaSet scaled to 0 (something to roll back to) and recent events of a rollout.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import ManualClock
from lab.kube.store import JsonObject, KubeStore
from lab.world import kube_objects as objects
from lab.world.kube_controllers import sync_app, sync_endpoints
from lab.world.kube_nodes import NodeBacking, node_object
from lab.world.randomness import Keyed
from lab.world.workloads import APPS, NAMESPACES, REGISTRY, App

ROLLED_OUT = ("shop", "frontend")
ROLLOUT_AGO = timedelta(minutes=20)
CLUSTER_AGE = timedelta(days=120)
UPSTREAM_TAGS = {
    "coredns": "v1.11.3",
    "ingress-nginx-controller": "v1.11.3",
    "cert-manager": "v1.16.1",
    "redis": "7.2.5",
}


def image(rng: Keyed, app: App, revision: int) -> str:
    """The app's image at a revision (our own apps get a seeded version, bumped per rollout)."""
    if not app.image.startswith(REGISTRY):
        return f"{app.image}:{UPSTREAM_TAGS[app.name]}"
    minor = rng.integer(2, 19, "version", app.namespace, app.name)
    patch = rng.integer(0, 6, "patch", app.namespace, app.name) + revision - 1
    return f"{app.image}:1.{minor}.{patch}"


class _Addresses:
    """Hands out pod IPs per node and Service cluster IPs, in build order."""

    def __init__(self, rng: Keyed) -> None:
        self._rng = rng
        self._next_pod: dict[int, int] = {}
        self._services = 0

    def pod_ip(self, node: NodeBacking) -> str:
        host = self._next_pod.get(node.index, 2)
        self._next_pod[node.index] = host + 1
        return f"10.244.{node.index}.{host}"

    def cluster_ip(self, app: App) -> str:
        if app.name == "coredns":
            return "10.96.0.10"
        self._services += 1
        third = (self._services * 37) % 250 + 1
        return f"10.96.{third}.{self._rng.integer(2, 254, 'svc', app.namespace, app.name)}"


def populate(
    store: KubeStore,
    rng: Keyed,
    nodes: list[NodeBacking],
    clock: ManualClock,
    epoch: datetime,
    *,
    now: datetime,
) -> None:
    """Create the whole cluster as of `now`; leaves `clock` at the rollout's last step.

    Ages count back from `epoch` (the same for every `now`); the rollout ends just before `now`.
    """
    born = epoch - CLUSTER_AGE
    for name in NAMESPACES:
        store.create(
            "namespaces",
            {
                "metadata": {
                    "name": name,
                    "labels": {"kubernetes.io/metadata.name": name},
                    "creationTimestamp": objects.ts(born),
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )
    for node in nodes:
        created = born + timedelta(minutes=10 * node.index)
        store.create("nodes", node_object(rng, node, created=created, now=clock.now()))
    addresses = _Addresses(rng)
    workers = [n for n in nodes if n.role == "worker"]
    rolled = [a for a in APPS if (a.namespace, a.name) == ROLLED_OUT]
    for app in [a for a in APPS if a not in rolled] + rolled:
        created = epoch - timedelta(
            days=rng.integer(8, 90, "age", app.namespace, app.name),
            minutes=rng.integer(0, 600, "age-min", app.namespace, app.name),
        )
        if app.config:
            store.create("configmaps", objects.configmap(app, created))
        placement = sorted(
            workers, key=lambda n: rng.unit("place", app.namespace, app.name, n.node)
        )
        if app in rolled:
            _rolled_out(store, rng, app, placement, addresses, clock, created, now)
        else:
            _steady(store, rng, app, placement, addresses, created, epoch)
        if app.port is not None:
            cluster_ip = addresses.cluster_ip(app)
            svc = store.create(
                "services", objects.service(app, cluster_ip=cluster_ip, created=created)
            )
            sync_endpoints(store, app.namespace, svc["metadata"]["name"])


def _steady(
    store: KubeStore,
    rng: Keyed,
    app: App,
    placement: list[NodeBacking],
    addresses: _Addresses,
    created: datetime,
    epoch: datetime,
) -> None:
    current = image(rng, app, 1)
    deploy = store.create(
        "deployments", objects.deployment(app, current, created=created, revision=1)
    )
    template_hash = rng.suffix(10, "rs", app.namespace, app.name, 1)
    rs = store.create(
        "replicasets",
        objects.replicaset(
            app,
            current,
            parent=deploy,
            template_hash=template_hash,
            replicas=app.replicas,
            revision=1,
            created=created,
        ),
    )
    started = created + timedelta(seconds=4)
    for replica in range(app.replicas):
        node = placement[replica % len(placement)]
        suffix = rng.suffix(5, "pod", app.namespace, app.name, 1, replica)
        restarts, last_exit = 0, None
        if rng.chance(0.1, "restarted", app.namespace, app.name, replica):
            restarts = 1
            quiet = (epoch - timedelta(days=2) - started).total_seconds()
            last_exit = started + timedelta(
                seconds=int(rng.uniform(0.2, 0.9, "exit", app.namespace, app.name, replica) * quiet)
            )
        store.create(
            "pods",
            objects.pod(
                rng,
                rs,
                suffix=suffix,
                node=node.node,
                host_ip=node.ip_address,
                pod_ip=addresses.pod_ip(node),
                started=started,
                restarts=restarts,
                last_exit=last_exit,
            ),
        )
    sync_app(store, app.namespace, app.name, now=started + timedelta(seconds=30))


def _rolled_out(
    store: KubeStore,
    rng: Keyed,
    app: App,
    placement: list[NodeBacking],
    addresses: _Addresses,
    clock: ManualClock,
    created: datetime,
    now: datetime,
) -> None:
    """Revision 1 since `created`; revision 2 rolled out pod by pod from `now - 20m`."""
    old_image, new_image = image(rng, app, 1), image(rng, app, 2)
    deploy = store.create(
        "deployments", objects.deployment(app, new_image, created=created, revision=2)
    )
    old_hash = rng.suffix(10, "rs", app.namespace, app.name, 1)
    new_hash = rng.suffix(10, "rs", app.namespace, app.name, 2)
    old_rs = store.create(
        "replicasets",
        objects.replicaset(
            app,
            old_image,
            parent=deploy,
            template_hash=old_hash,
            replicas=0,
            revision=1,
            created=created,
        ),
    )
    start = now - ROLLOUT_AGO
    clock.set(start)
    new_rs = store.create(
        "replicasets",
        objects.replicaset(
            app,
            new_image,
            parent=deploy,
            template_hash=new_hash,
            replicas=app.replicas,
            revision=2,
            created=start,
        ),
    )
    for replica in range(app.replicas):
        step = start + timedelta(seconds=20 * replica)
        clock.set(step)
        _event(
            store,
            deploy,
            "ScalingReplicaSet",
            f"Scaled up replica set {new_rs['metadata']['name']} to {replica + 1}",
            "deployment-controller",
        )
        node = placement[replica % len(placement)]
        suffix = rng.suffix(5, "pod", app.namespace, app.name, 2, replica)
        pod = store.create(
            "pods",
            objects.pod(
                rng,
                new_rs,
                suffix=suffix,
                node=node.node,
                host_ip=node.ip_address,
                pod_ip=addresses.pod_ip(node),
                started=step,
                restarts=0,
                last_exit=None,
            ),
        )
        name = pod["metadata"]["name"]
        _event(store, new_rs, "SuccessfulCreate", f"Created pod: {name}", "replicaset-controller")
        _event(
            store,
            pod,
            "Scheduled",
            f"Successfully assigned {app.namespace}/{name} to {node.node}",
            "default-scheduler",
        )
        clock.set(step + timedelta(seconds=1))
        _event(store, pod, "Pulling", f'Pulling image "{new_image}"')
        clock.set(step + timedelta(seconds=3))
        size = rng.integer(20_000_000, 90_000_000, "image-size", new_image)
        _event(
            store,
            pod,
            "Pulled",
            f'Successfully pulled image "{new_image}" in 1.912s '
            f"(1.912s including waiting). Image size: {size} bytes.",
        )
        _event(store, pod, "Created", f"Created container {app.container_name}")
        _event(store, pod, "Started", f"Started container {app.container_name}")
        clock.set(step + timedelta(seconds=15))
        old_suffix = rng.suffix(5, "pod", app.namespace, app.name, 1, replica)
        old_pod = f"{old_rs['metadata']['name']}-{old_suffix}"
        _event(
            store,
            deploy,
            "ScalingReplicaSet",
            f"Scaled down replica set {old_rs['metadata']['name']} to "
            f"{app.replicas - replica - 1} from {app.replicas - replica}",
            "deployment-controller",
        )
        _event(
            store, old_rs, "SuccessfulDelete", f"Deleted pod: {old_pod}", "replicaset-controller"
        )
    sync_app(store, app.namespace, app.name, now=clock.now())


def _event(
    store: KubeStore, involved: JsonObject, reason: str, message: str, component: str = "kubelet"
) -> None:
    store.record_event(involved, reason=reason, message=message, component=component)
