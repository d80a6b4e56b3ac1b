"""Every tool PixelView ships, in one registry (OpenStack, vSphere, StackStorm... join here)."""

from __future__ import annotations

from tools import incident_status, incidents, kubernetes, memory, metrics
from tools.analyzers.tool import k8s_analyze
from tools.registry import ToolRegistry


def default_registry() -> ToolRegistry:
    """A registry of every shipped tool (read tools only, so far: no write tool ships yet)."""
    registry = ToolRegistry()
    registry.add_read(
        k8s_analyze,
        *kubernetes.TOOLS,
        *incidents.TOOLS,
        *incident_status.TOOLS,
        *metrics.TOOLS,
        *memory.TOOLS,
    )
    return registry
