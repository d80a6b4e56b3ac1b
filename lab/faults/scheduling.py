"""Deployments that ask for more than the cluster has room for: pods no node can take."""

from __future__ import annotations

from typing import Any

from lab.world.rollouts import scale, set_resource
from lab.world.scheduler import free
from lab.world.world import World


def pending_insufficient_cpu(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A Deployment's pods ask for more CPU than any node has left: the new ones stay Pending.

    `cpu_request` raises the first container's request (and its limit, when below) and rolls
    the Deployment out; `replicas` scales it, with the new request or alone. With neither, the
    request becomes the smallest whole number of cores that no node has room for. The pods the
    scheduler cannot place stay Pending on no node, with PodScheduled False (Unschedulable) and
    a FailedScheduling event that counts the nodes by reason; a stalled rollout keeps the old
    pods serving, and the Deployment reports the unavailable replicas.
    """
    namespace, name = target["namespace"], target["deployment"]
    world.kube.get("deployments", name, namespace)  # ObjectNotFound for one that does not exist
    replicas = None if params.get("replicas") is None else int(params["replicas"])
    if replicas is not None and replicas < 0:
        raise ValueError(f"replicas must not be negative, not {replicas}")
    request = params.get("cpu_request")
    if request is None and replicas is not None:
        scale(world, namespace, name, replicas)
        return
    if request is None:
        most = max((room.cpu_m for room in free(world).values()), default=0)
        request = str(most // 1000 + 1)
    if replicas is not None:
        world.kube.patch("deployments", name, namespace, {"spec": {"replicas": replicas}})
    set_resource(world, target, "cpu", "requests", str(request))
