"""What keeps happening while lab time passes: pods log, kubelets heartbeat, events expire.

A process runs for a window `[start, end)` of lab time each time the world advances. What it
writes is a pure function of the window, so advancing by one hour or by four quarters of an
hour leaves the same logs. Faults add processes of their own (a crash loop that restarts a
container and writes its last words) and silence these (a NotReady node stops heartbeating).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from lab.world.app_logs import STYLES, LogSource, line_times
from lab.world.kube_objects import ts
from lab.world.metrics.catalog import parse_ts
from lab.world.workloads import app

if TYPE_CHECKING:
    from lab.world.world import World

LOG_WINDOW = timedelta(hours=1)
"""Logs are written for at most the last hour of an advance (a long jump keeps memory flat)."""
EVENT_TTL = timedelta(hours=1)
"""kube-apiserver's default `--event-ttl`: older events are gone."""


class Process(Protocol):
    """Something that happens during every advance of the clock."""

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Do what happens between `start` (excluded if already done) and `end`."""
        ...


@dataclass
class PodLogs:
    """Every running container writes lines in its app's style, at its app's pace."""

    overrides: dict[tuple[str, str], LogSource] = field(default_factory=dict)
    """Replacement line sources by (namespace, app label): how a fault changes what pods say."""

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Write the lines of `[max(start, end - LOG_WINDOW), end)` of every running container."""
        window = max(start, end - LOG_WINDOW)
        for pod in world.kube.list("pods"):
            meta = pod["metadata"]
            if pod["spec"].get("nodeName") in world.heartbeats.silent:
                continue  # a kubelet that does not answer serves no logs either
            label = meta.get("labels", {}).get("app", "")
            try:
                spec = app(meta["namespace"], label)
            except KeyError:
                continue
            source = self.overrides.get((meta["namespace"], label), STYLES[spec.log_style])
            for status in pod.get("status", {}).get("containerStatuses", []):
                running = status.get("state", {}).get("running")
                if not running:
                    continue
                key = (meta["namespace"], meta["name"], status["name"])
                since = max(window, parse_ts(running["startedAt"]))
                every = timedelta(seconds=spec.log_every_s)
                for at in line_times(world.rng, key, every, since, end):
                    world.kube.write_log(*key, source(world.rng, key, at), at=at)


@dataclass
class NodeHeartbeats:
    """Kubelets post node status: each condition's lastHeartbeatTime follows the clock."""

    silent: set[str] = field(default_factory=set)
    """Nodes whose kubelet stopped posting (a fault's NotReady node)."""

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Stamp `end` on the conditions of every node that is not silent."""
        del start
        for node in world.kube.list("nodes"):
            name = node["metadata"]["name"]
            if name in self.silent:
                continue
            conditions = [
                {"type": c["type"], "lastHeartbeatTime": ts(end)}
                for c in node["status"]["conditions"]
            ]
            world.kube.patch("nodes", name, None, {"status": {"conditions": conditions}})


@dataclass
class EventExpiry:
    """Events older than the TTL disappear, as the API server's do."""

    ttl: timedelta = EVENT_TTL

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Delete events whose last occurrence is older than `end - ttl`."""
        del start
        for event in world.kube.list("events"):
            if parse_ts(event["lastTimestamp"]) < end - self.ttl:
                world.kube.delete(
                    "events", event["metadata"]["name"], event["metadata"]["namespace"]
                )
