"""The words every layer shares for where a fault is and what kind it is (SCENARIOS.md).

Triage reports (`incidents`), the analyzers (`tools`) and runbooks (`memory`) name
clouds and fault categories alike; they live here, below all of them.
"""

from __future__ import annotations

from typing import Literal

Cloud = Literal["kubernetes", "openstack", "vsphere"]

Category = Literal[
    "resource.cpu",
    "resource.memory",
    "resource.disk",
    "resource.quota",
    "crash.application",
    "crash.config",
    "image.pull",
    "scheduling.capacity",
    "scheduling.constraints",
    "network.dns",
    "network.connectivity",
    "network.port",
    "network.policy",
    "storage.attach",
    "storage.full",
    "storage.latency",
    "host.down",
    "host.maintenance",
    "host.disconnected",
    "hypervisor.overcommit",
    "identity.auth",
    "dependency.database",
    "dependency.service",
    "none",
]
"""The fault categories of the evaluation contract (SCENARIOS.md)."""
