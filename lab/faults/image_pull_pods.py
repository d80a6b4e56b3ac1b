"""A process that keeps pods failing to pull their image while lab time runs.

The kubelet retries a failed pull on the same back-off schedule as a crashing container
(`crashloop_state`, with a pull attempt lasting a second): the container waits in
`ErrImagePull` right after an attempt and in `ImagePullBackOff` between attempts, never
starts, and the pod stays Pending. Events count the attempts as the kubelet's do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from lab.kube.store import ObjectNotFound
from lab.world.crashloop import crashloop_state
from lab.world.kube_controllers import sync_app
from lab.world.kube_events import count_event
from lab.world.metrics.catalog import parse_ts
from lab.world.world import World

PULL_ATTEMPT = timedelta(seconds=1)


@dataclass
class ImagePullPods:
    """Pods of one Deployment whose image cannot be pulled."""

    namespace: str
    deployment: str
    image: str
    error: str
    """The runtime's error, as the kubelet reports it after `Failed to pull image "...": `."""
    pods: list[str] = field(default_factory=list)

    def run(self, world: World, start: datetime, end: datetime) -> None:
        """Bring every pod's status and events to where its pull attempts stand at `end`."""
        del start
        for name in self.pods:
            self.update(world, name, end)
        sync_app(world.kube, self.namespace, self.deployment, now=end)

    def update(self, world: World, name: str, at: datetime) -> None:
        """One pod's status and events at `at`."""
        try:
            pod = world.kube.get("pods", name, self.namespace)
        except ObjectNotFound:
            return
        started = parse_ts(pod["metadata"]["creationTimestamp"])
        state = crashloop_state(at - started, PULL_ATTEMPT)
        attempts = state.restarts + 1
        failure = f'Failed to pull image "{self.image}": {self.error}'
        status = pod["status"]["containerStatuses"][0]
        if state.running:
            waiting = {"reason": "ErrImagePull", "message": self.error}
        else:
            waiting = {
                "reason": "ImagePullBackOff",
                "message": f'Back-off pulling image "{self.image}"',
            }
        for key in ("containerID", "imageID"):
            status.pop(key, None)
        status.update(
            ready=False, started=False, restartCount=0, state={"waiting": waiting}, lastState={}
        )
        pod["status"]["phase"] = "Pending"
        for condition in pod["status"]["conditions"]:
            if condition["type"] in ("Ready", "ContainersReady"):
                condition.update(
                    status="False",
                    reason="ContainersNotReady",
                    message=f"containers with unready status: [{status['name']}]",
                )
        world.kube.replace("pods", pod)
        events: list[tuple[str, str, Literal["Normal", "Warning"], int]] = [
            ("Pulling", f'Pulling image "{self.image}"', "Normal", attempts),
            (
                "BackOff",
                f'Back-off pulling image "{self.image}"',
                "Normal",
                attempts - (1 if state.running else 0),
            ),
            ("Failed", failure, "Warning", attempts * 2),
        ]
        for reason, message, type_, count in events:
            if count:
                count_event(world.kube, pod, reason, message, type_, count)
