"""Faults of the vSphere layer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lab.world.metrics.overlays import Hold, Overlay, Ramp
from lab.world.world import World


def host_disconnected(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """VCenter loses an ESXi host's management connection; its VMs keep running unmanaged.

    The host reads `disconnected` (its VMs too, in vCenter's eyes), and the exporter reports
    it unconnected, with usage 0, from now on.
    """
    del params
    host = world.vsphere.host(target["host"])
    host.connection_state = "disconnected"
    for metric in (
        "vsphere_host_connected",
        "vsphere_host_cpu_usage_ratio",
        "vsphere_host_memory_usage_ratio",
    ):
        world.metrics.overlay(
            Overlay(
                {"__name__": metric, "host": host.name},
                world.now(),
                Hold(0.0),
                reason="vsphere.host_disconnected",
            )
        )


def datastore_full(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A datastore fills up (a runaway snapshot): its free space reaches 0 over `fill_minutes`."""
    ds = world.vsphere.datastore(target["datastore"])
    over = timedelta(minutes=int(params.get("fill_minutes", 30)))
    world.metrics.overlay(
        Overlay(
            {"__name__": "vsphere_datastore_free_bytes", "datastore": ds.name},
            world.now(),
            Ramp(0.0, over),
            reason="vsphere.datastore_full",
        )
    )
