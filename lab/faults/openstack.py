"""Faults of the OpenStack layer."""

from __future__ import annotations

from typing import Any

from lab.world.metrics.overlays import Hold, Overlay
from lab.world.world import World

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


def instance_error(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A server goes to ERROR with a fault message (`message`, default Nova's no-valid-host).

    Its status, power state and fault change now, and its CPU series reads 0 from now on.
    """
    server = world.openstack.server(target["server"])
    server.status, server.power_state, server.task_state = "ERROR", "NOSTATE", None
    server.fault_code = int(params.get("code", 500))
    server.fault_message = str(params.get("message", NO_VALID_HOST))
    server.fault_details = str(params.get("details", ""))
    server.fault_at = server.updated = world.now()
    world.metrics.overlay(
        Overlay(
            {"__name__": "openstack_instance_cpu_usage_ratio", "instance_id": server.id},
            world.now(),
            Hold(0.0),
            reason="openstack.instance_error",
        )
    )
