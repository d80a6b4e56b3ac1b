"""Tool dependencies over a lab world, for the tool tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import create_engine

from connectors.kubernetes.port import KubernetesPort
from core.db.engine import make_session_factory
from incidents.reader import IncidentReader
from lab.faults.catalog import apply_fault
from lab.kube.port import LabKubernetes
from lab.world.metrics_port import WorldMetrics
from lab.world.world import LAB_EPOCH, World
from tools.context import Approval, ToolDeps

T = TypeVar("T")
OOM_TARGET = {"namespace": "payments", "deployment": "api"}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def oom_world() -> World:
    """The lab 30 minutes after payments/api's memory limit was cut to 256Mi."""
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    apply_fault(world, "k8s.oom_kill", OOM_TARGET, {"memory_limit": "256Mi"})
    world.advance(timedelta(minutes=30))
    return world


def unused_incidents() -> IncidentReader:
    """A reader over a database the test never touches (the tools under test do not read it)."""
    return IncidentReader(make_session_factory(create_engine("sqlite://")))


def lab_deps(
    world: World,
    *,
    clusters: dict[str, KubernetesPort] | None = None,
    approval: Approval | None = None,
) -> ToolDeps:
    """Dependencies over the world: its cluster as `lab`, its metrics, its clock."""
    return ToolDeps(
        kubernetes={"lab": LabKubernetes(world.kube)} if clusters is None else clusters,
        metrics=WorldMetrics(world),
        incidents=unused_incidents(),
        clock=world.clock,
        approval=approval,
    )
