"""Faults of the Kubernetes layer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lab.faults.crashloop_pods import CrashLoopPods, LastWords
from lab.kube.selectors import label_matches
from lab.kube.store import JsonObject
from lab.world.metrics.catalog import parse_ts
from lab.world.metrics.overlays import CrashLoopFill, CrashLoopRestarts, Overlay
from lab.world.rollouts import roll_out
from lab.world.workloads import parse_bytes
from lab.world.world import World

OOM_EXIT_CODE = 137
"""128 + SIGKILL: what the kubelet reports for a container the OOM killer ended."""


def oom_kill(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A Deployment's memory limit is cut (`memory_limit`, default half); its pods OOM-loop.

    The cut rolls the Deployment out (new revision, new ReplicaSet, new pods); each new pod's
    working set climbs to the limit in `runs_for_s` (default 90) seconds, the OOM killer ends
    the run (`OOMKilled`, exit 137), and the kubelet restarts it on its back-off schedule.
    """
    namespace, name = target["namespace"], target["deployment"]
    deploy = world.kube.get("deployments", name, namespace)
    containers = deploy["spec"]["template"]["spec"]["containers"]
    container = str(params.get("container") or containers[0]["name"])
    spec = next(c for c in containers if c["name"] == container)
    current = parse_bytes(spec["resources"]["limits"]["memory"])
    limit = str(params.get("memory_limit") or f"{current // 2 // 1024**2}Mi")
    limit_bytes = parse_bytes(limit)
    request = spec["resources"].get("requests", {}).get("memory", limit)
    if parse_bytes(request) > limit_bytes:
        request = limit  # the API server refuses a request above the limit
    resources = {"limits": {"memory": limit}, "requests": {"memory": request}}
    runs_for = timedelta(seconds=int(params.get("runs_for_s", 90)))
    process = CrashLoopPods(
        namespace=namespace,
        deployment=name,
        pods=[],
        container=container,
        runs_for=runs_for,
        reason="OOMKilled",
        exit_code=OOM_EXIT_CODE,
        last_words=_near_limit(limit_bytes),
    )
    selector = ",".join(f"{k}={v}" for k, v in deploy["spec"]["selector"]["matchLabels"].items())
    world.pod_hooks.append(MemoryStarved(process, selector, limit_bytes))
    world.processes.insert(0, process)
    roll_out(
        world,
        namespace,
        name,
        patch={"spec": {"containers": [{"name": container, "resources": resources}]}},
    )
    process.run(world, world.now(), world.now())


@dataclass(frozen=True)
class MemoryStarved:
    """Pod hook: a pod of the Deployment whose limit is at most `limit_bytes` OOM-loops.

    The app needs more than the cut limit, so any pod with it fails, including pods of a
    later `rollout restart`; a pod with a raised limit (the remediation) runs normally.
    """

    loop: CrashLoopPods
    selector: str
    limit_bytes: int

    def __call__(self, world: World, pod: JsonObject) -> None:
        """Make the pod crash-loop when it belongs to the Deployment and has the cut limit."""
        meta = pod["metadata"]
        if meta["namespace"] != self.loop.namespace:
            return
        if not label_matches(self.selector, meta.get("labels", {})):
            return
        spec = next(c for c in pod["spec"]["containers"] if c["name"] == self.loop.container)
        if parse_bytes(spec["resources"]["limits"]["memory"]) > self.limit_bytes:
            return
        start = parse_ts(meta["creationTimestamp"])
        labels = {"namespace": meta["namespace"], "pod": meta["name"], "container": spec["name"]}
        for metric, effect in (
            ("kube_pod_container_status_restarts_total", CrashLoopRestarts(self.loop.runs_for)),
            (
                "container_memory_working_set_bytes",
                CrashLoopFill(self.limit_bytes, self.loop.runs_for),
            ),
        ):
            overlay = Overlay({"__name__": metric, **labels}, start, effect, reason="k8s.oom_kill")
            world.metrics.overlay(overlay)
        self.loop.pods.append(meta["name"])


def _near_limit(limit_bytes: int) -> LastWords:
    """A JSON service's last lines before the OOM killer: memory warnings, then nothing."""

    def words(pod: JsonObject, died: datetime) -> list[str]:
        lines = []
        for seconds, share in ((20, 0.91), (8, 0.97)):
            at = died - timedelta(seconds=seconds)
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            lines.append(
                json.dumps(
                    {
                        "ts": stamp,
                        "level": "warn",
                        "msg": "memory usage close to the container limit",
                        "pod": pod["metadata"]["name"],
                        "rss_bytes": int(limit_bytes * share),
                        "limit_bytes": limit_bytes,
                    },
                    separators=(",", ":"),
                )
            )
        return lines

    return words
