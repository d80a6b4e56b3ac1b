"""Faults of the vSphere layer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connectors.vmware.models import ConnectionState
from lab.world.metrics.catalog import CONNECTION_STATES
from lab.world.metrics.overlays import Hold, Overlay, Ramp
from lab.world.vsphere_estate import EsxiHost
from lab.world.world import World


def host_disconnected(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """VCenter loses an ESXi host's management connection; its VMs keep running unmanaged.

    The host reads `disconnected` (its VMs too, in vCenter's eyes), and the exporter reports
    it so, with usage 0, from now on.
    """
    del params
    lose_host(
        world, world.vsphere.host(target["host"]), "disconnected", "vsphere.host_disconnected"
    )


def lose_host(world: World, host: EsxiHost, state: ConnectionState, reason: str) -> None:
    """VCenter loses a host (`disconnected`, `notResponding`): its state and usage series say so."""
    host.connection_state = state
    holds = {
        ("vsphere_host_connected", ""): 0.0,
        ("vsphere_host_cpu_usage_ratio", ""): 0.0,
        ("vsphere_host_memory_usage_ratio", ""): 0.0,
        **{("vsphere_host_connection_state", s): float(s == state) for s in CONNECTION_STATES},
    }
    for (metric, connection), level in holds.items():
        match = {"__name__": metric, "host": host.name}
        if connection:
            match["state"] = connection
        world.metrics.overlay(Overlay(match, world.now(), Hold(level), reason=reason))


def datastore_full(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A datastore fills up (a runaway snapshot): its free space reaches 0 over `fill_minutes`."""
    ds = world.vsphere.datastore(target["datastore"])
    over = timedelta(minutes=int(params.get("fill_minutes", 20)))
    world.metrics.overlay(
        Overlay(
            {"__name__": "vsphere_datastore_free_bytes", "datastore": ds.name},
            world.now(),
            Ramp(0.0, over),
            reason="vsphere.datastore_full",
        )
    )
