"""What the lab's StackStorm actions do to the world: the remediations agents propose.

Each handler takes the action's parameters, changes the world as the real action would
(through the same rollout and state seams the faults use), and returns the execution's
result. A handler that raises makes the execution `failed` with the error as its result.
Actions without a handler here succeed and change nothing (`stackstorm_port.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab.world.kube_objects import ts
from lab.world.rollouts import REVISION, previous_template, roll_out, scale, set_resource
from lab.world.world import World

ActionHandler = Callable[[World, dict[str, Any]], dict[str, Any]]
"""Applies an action to the world and returns its result; raising makes the execution fail."""


def _rolled(world: World, namespace: str, name: str, pods: list[Any]) -> dict[str, Any]:
    deploy = world.kube.get("deployments", name, namespace)
    return {
        "deployment": f"{namespace}/{name}",
        "revision": int(deploy["metadata"]["annotations"][REVISION]),
        "pods": [p["metadata"]["name"] for p in pods],
    }


def set_memory_limit(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.set_memory_limit`: new limit (a request above it comes down too); rolls out."""
    limit = str(params["memory_limit"])
    pods = set_resource(world, params, "memory", "limits", limit)
    return {
        **_rolled(world, params["namespace"], params["deployment"], pods),
        "memory_limit": limit,
    }


def set_cpu_request(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.set_cpu_request`: new request (a limit below it goes up too); rolls out."""
    request = str(params["cpu_request"])
    pods = set_resource(world, params, "cpu", "requests", request)
    return {
        **_rolled(world, params["namespace"], params["deployment"], pods),
        "cpu_request": request,
    }


def scale_deployment(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.scale_deployment`: the replica count; surplus Pending pods go first."""
    namespace, name = params["namespace"], params["deployment"]
    replicas = int(params["replicas"])
    if replicas < 0:
        raise ValueError(f"replicas must not be negative, not {replicas}")
    pods = scale(world, namespace, name, replicas)
    return {**_rolled(world, namespace, name, pods), "replicas": replicas}


def rollout_restart(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.rollout_restart`: what `kubectl rollout restart` does (a template annotation)."""
    namespace, name = params["namespace"], params["deployment"]
    stamp = {"kubectl.kubernetes.io/restartedAt": ts(world.now())}
    pods = roll_out(world, namespace, name, patch={"metadata": {"annotations": stamp}})
    return _rolled(world, namespace, name, pods)


def rollout_undo(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.rollout_undo`: back to the previous revision's template (its ReplicaSet)."""
    namespace, name = params["namespace"], params["deployment"]
    template = previous_template(world, namespace, name)
    pods = roll_out(world, namespace, name, template=template)
    return _rolled(world, namespace, name, pods)


def set_image(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.set_image`: a new image for a container (default: the first); rolls out."""
    namespace, name = params["namespace"], params["deployment"]
    deploy = world.kube.get("deployments", name, namespace)
    container = (
        params.get("container") or deploy["spec"]["template"]["spec"]["containers"][0]["name"]
    )
    patch = {"spec": {"containers": [{"name": container, "image": params["image"]}]}}
    pods = roll_out(world, namespace, name, patch=patch)
    return {**_rolled(world, namespace, name, pods), "image": params["image"]}


def set_config_value(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes.set_config_value`: one key of a ConfigMap; restarts the Deployments using it.

    A ConfigMap loaded with envFrom is read at start, so the change needs new pods, as
    `kubectl rollout restart` gives them.
    """
    namespace, configmap = params["namespace"], params["configmap"]
    world.kube.patch(
        "configmaps", configmap, namespace, {"data": {params["key"]: str(params["value"])}}
    )
    restarted = []
    for deploy in world.kube.list("deployments", namespace):
        sources = [
            ref.get("configMapRef", {}).get("name")
            for c in deploy["spec"]["template"]["spec"]["containers"]
            for ref in c.get("envFrom", [])
        ]
        if configmap in sources:
            name = deploy["metadata"]["name"]
            rollout_restart(world, {"namespace": namespace, "deployment": name})
            restarted.append(f"{namespace}/{name}")
    return {"configmap": f"{namespace}/{configmap}", "key": params["key"], "restarted": restarted}


def host_reconnect(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """`vsphere.host_reconnect`: vCenter manages the host again; its usage reports resume."""
    host = world.vsphere.host(params["host"])
    host.connection_state = "connected"
    world.metrics.end_overlays(reason="vsphere.host_disconnected", at=world.now(), host=host.name)
    return {"host": host.name, "connection_state": host.connection_state}


HANDLERS: dict[str, ActionHandler] = {
    "kubernetes.set_memory_limit": set_memory_limit,
    "kubernetes.set_cpu_request": set_cpu_request,
    "kubernetes.scale_deployment": scale_deployment,
    "kubernetes.rollout_restart": rollout_restart,
    "kubernetes.rollout_undo": rollout_undo,
    "kubernetes.set_image": set_image,
    "kubernetes.set_config_value": set_config_value,
    "vsphere.host_reconnect": host_reconnect,
}
"""The actions whose effect the lab models, by ref."""
