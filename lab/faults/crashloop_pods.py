"""A process that keeps a Deployment's pods in a crash loop while lab time runs.

Each pod follows `crashloop_state` from its start: its container status (restart count,
running or waiting in CrashLoopBackOff, the last termination with its reason and exit code),
its Ready condition, the kubelet's events, and its logs (the dying run's last words move to the
previous log at each restart). The pod's metric overlays read the same schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from lab.kube.store import JsonObject, KubeStore, ObjectNotFound
from lab.world.crashloop import LoopState, crashloop_state
from lab.world.kube_controllers import sync_app
from lab.world.kube_events import count_event
from lab.world.kube_objects import ts
from lab.world.metrics.catalog import parse_ts
from lab.world.randomness import Keyed
from lab.world.world import World

LastWords = Callable[[JsonObject, datetime], list[str]]
"""The lines a container writes just before it dies (pod, instant of death)."""


@dataclass
class CrashLoopPods:
    """Pods of one Deployment whose container dies after `runs_for` on every run."""

    namespace: str
    deployment: str
    pods: list[str]
    container: str
    runs_for: timedelta
    reason: str
    """`lastState.terminated.reason`: OOMKilled, Error..."""
    exit_code: int
    last_words: LastWords
    _restarts: dict[str, int] = field(default_factory=dict)

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Bring every pod's status, events and logs to where the loop stands at `end`."""
        del start
        for name in self.pods:
            try:
                pod = world.kube.get("pods", name, self.namespace)
            except ObjectNotFound:
                continue  # replaced (a remediation rolled the Deployment out again)
            started = parse_ts(pod["metadata"]["creationTimestamp"])
            state = crashloop_state(end - started, self.runs_for)
            if state.restarts > self._restarts.get(name, 0) and state.last_died is not None:
                died = started + state.last_died
                for line in self.last_words(pod, died):
                    world.kube.write_log(self.namespace, name, self.container, line, at=died)
                world.kube.restart_log(self.namespace, name, self.container)
            self._restarts[name] = state.restarts
            pod = self._status(world.rng, pod, started, state)
            world.kube.replace("pods", pod)
            if state.last_died is not None:
                self._events(world.kube, pod, state)
        sync_app(world.kube, self.namespace, self.deployment, now=end)

    def _status(
        self, rng: Keyed, pod: JsonObject, started: datetime, state: LoopState
    ) -> JsonObject:
        meta = pod["metadata"]
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == self.container)
        status["restartCount"] = state.restarts
        status["containerID"] = f"containerd://{_container_id(rng, meta['name'], state.restarts)}"
        if state.running:
            status["state"] = {"running": {"startedAt": ts(started + state.since)}}
        else:
            status["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {int(state.backoff.total_seconds())}s restarting "
                    f"failed container={self.container} pod={meta['name']}_{self.namespace}"
                    f"({meta['uid']})",
                }
            }
        if state.last_died is not None and state.last_started is not None:
            status["lastState"] = {
                "terminated": {
                    "exitCode": self.exit_code,
                    "reason": self.reason,
                    "startedAt": ts(started + state.last_started),
                    "finishedAt": ts(started + state.last_died),
                    "containerID": "containerd://"
                    + _container_id(rng, meta["name"], max(0, state.restarts - 1)),
                }
            }
        status["ready"] = status["started"] = state.running
        since = ts(started + state.since)
        for condition in pod["status"]["conditions"]:
            if condition["type"] in ("Ready", "ContainersReady"):
                wanted = "True" if state.running else "False"
                if condition["status"] != wanted:
                    condition["lastTransitionTime"] = since
                condition["status"] = wanted
                if state.running:
                    condition.pop("reason", None)
                    condition.pop("message", None)
                else:
                    condition["reason"] = "ContainersNotReady"
                    condition["message"] = f"containers with unready status: [{self.container}]"
        return pod

    def _events(self, store: KubeStore, pod: JsonObject, state: LoopState) -> None:
        meta = pod["metadata"]
        back_offs = state.restarts + (0 if state.running else 1)
        image = next(c["image"] for c in pod["spec"]["containers"] if c["name"] == self.container)
        events: list[tuple[str, str, Literal["Normal", "Warning"], int]] = [
            (
                "BackOff",
                f"Back-off restarting failed container {self.container} in pod "
                f"{meta['name']}_{self.namespace}({meta['uid']})",
                "Warning",
                back_offs,
            ),
            (
                "Pulled",
                f'Container image "{image}" already present on machine',
                "Normal",
                state.restarts + 1,
            ),
            ("Created", f"Created container {self.container}", "Normal", state.restarts + 1),
            ("Started", f"Started container {self.container}", "Normal", state.restarts + 1),
        ]
        for reason, message, type_, count in events:
            count_event(store, pod, reason, message, type_, count)


def _container_id(rng: Keyed, pod: str, restarts: int) -> str:
    """The runtime's id of a container run, as `kube_objects.pod` draws it."""
    return rng.digest("container", pod, restarts).hex()
