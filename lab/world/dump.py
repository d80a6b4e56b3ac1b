"""A canonical JSON dump of the world: everything a seed decides, in one comparable text.

Sorted keys, no whitespace, datetimes in ISO 8601. Two worlds built from one seed (and moved
through the same steps) dump to the same bytes; the determinism tests compare these.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from lab.kube.store import RESOURCES
from lab.world.world import World


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **dataclasses.asdict(value)}
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot dump {type(value).__name__}")


def world_state(world: World) -> dict[str, Any]:
    """The world as plain data: estates, cluster objects, logs, series and actions."""
    kube = {plural: world.kube.list(plural) for plural in sorted(RESOURCES)}
    logs = {}
    for pod in kube["pods"]:
        meta = pod["metadata"]
        for container in pod["spec"]["containers"]:
            key = f"{meta['namespace']}/{meta['name']}/{container['name']}"
            logs[key] = world.kube.read_log(
                meta["namespace"], meta["name"], container["name"], timestamps=True
            )
    series = [
        {
            "labels": s.labels,
            "shape": dataclasses.asdict(s.shape),
            "start": s.start,
            "end": s.end,
            "overlays": [
                {"match": o.match, "start": o.start, "end": o.end, "effect": repr(o.effect)}
                for o in s.overlays
            ],
        }
        for s in world.metrics.all()
    ]
    return {
        "seed": world.seed,
        "now": world.now(),
        "vsphere": dataclasses.asdict(world.vsphere),
        "openstack": dataclasses.asdict(world.openstack),
        "nodes": [dataclasses.asdict(n) for n in world.nodes],
        "kubernetes": kube,
        "logs": logs,
        "series": series,
        "actions": [a.model_dump(mode="json") for a in world.actions],
        "executions": [e.model_dump(mode="json") for e in world.executions.values()],
        "faults": [dataclasses.asdict(f) for f in world.faults],
    }


def dump(world: World) -> str:
    """The canonical JSON text of `world_state`."""
    return json.dumps(world_state(world), sort_keys=True, separators=(",", ":"), default=_default)
