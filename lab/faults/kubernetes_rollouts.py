"""Faults that arrive with a rollout: an image that cannot be pulled, a broken configuration.

Pods of such a rollout never become ready, so it stalls as Kubernetes' default strategy makes
it: one surge pod fails while the old pods keep serving, and after ten minutes the Deployment
reports `ProgressDeadlineExceeded`. A pod hook keeps any later pod failing while the cause is
still there (the bad image in the template, the bad value in the ConfigMap).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lab.faults.crashloop_pods import CrashLoopPods, LastWords
from lab.faults.image_pull_pods import ImagePullPods
from lab.kube.selectors import label_matches
from lab.kube.store import JsonObject
from lab.world.metrics.catalog import parse_ts
from lab.world.metrics.overlays import CrashLoopRestarts, Hold, Overlay
from lab.world.rollouts import roll_out
from lab.world.world import World

NOT_FOUND = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
    'failed to resolve reference "{image}": {image}: not found'
)
UNAUTHORIZED = (
    'rpc error: code = Unknown desc = failed to pull and unpack image "{image}": '
    'failed to resolve reference "{image}": pull access denied, repository does not exist or '
    "may require authorization: server message: insufficient_scope: authorization failed"
)
CONFIG_EXIT_CODE = 1


def _selector(deploy: JsonObject) -> str:
    labels = deploy["spec"]["selector"]["matchLabels"]
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def image_pull(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A rollout sets an image that cannot be pulled.

    Params: `image` (default: a tag that does not exist), `error` (`not_found`, the default,
    or `unauthorized`).
    """
    namespace, name = target["namespace"], target["deployment"]
    deploy = world.kube.get("deployments", name, namespace)
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    repository = container["image"].rsplit(":", 1)[0]
    image = str(params.get("image") or f"{repository}:{container['image'].rsplit(':', 1)[1]}-rc1")
    template = UNAUTHORIZED if params.get("error") == "unauthorized" else NOT_FOUND
    process = ImagePullPods(namespace, name, image, template.format(image=image))
    world.pod_hooks.append(ImageUnavailable(process, _selector(deploy)))
    world.processes.insert(0, process)
    roll_out(
        world,
        namespace,
        name,
        patch={"spec": {"containers": [{"name": container["name"], "image": image}]}},
    )


@dataclass(frozen=True)
class ImageUnavailable:
    """Pod hook: a pod of the Deployment with the unavailable image never starts."""

    pulls: ImagePullPods
    selector: str

    def __call__(self, world: World, pod: JsonObject) -> bool | None:
        """Make the pod fail to pull when it belongs to the Deployment and has the image."""
        meta = pod["metadata"]
        if meta["namespace"] != self.pulls.namespace or not label_matches(
            self.selector, meta.get("labels", {})
        ):
            return None
        if pod["spec"]["containers"][0]["image"] != self.pulls.image:
            return None
        start = parse_ts(meta["creationTimestamp"])
        for series in world.metrics.select(f'{{__name__=~"container_.*",pod="{meta["name"]}"}}'):
            series.end = start  # cAdvisor never sees a container that never started
        for phase, level in (("Pending", 1.0), ("Running", 0.0)):
            match = {"__name__": "kube_pod_status_phase", "pod": meta["name"], "phase": phase}
            world.metrics.overlay(Overlay(match, start, Hold(level), reason="k8s.image_pull"))
        self.pulls.pods.append(meta["name"])
        self.pulls.update(world, meta["name"], world.now())
        return False


def crashloop_bad_config(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A bad value (`key`, `value`) lands in the app's ConfigMap and a rollout deploys it.

    The new pods exit with code 1 two seconds after every start, logging why.
    """
    namespace, name = target["namespace"], target["deployment"]
    deploy = world.kube.get("deployments", name, namespace)
    configmap = f"{name}-config"
    data = world.kube.get("configmaps", configmap, namespace)["data"]
    key = str(params.get("key") or sorted(data)[0])
    value = str(params.get("value", data.get(key, "").replace("://", ":/")))
    world.kube.patch("configmaps", configmap, namespace, {"data": {key: value}})
    container = deploy["spec"]["template"]["spec"]["containers"][0]["name"]
    loop = CrashLoopPods(
        namespace=namespace,
        deployment=name,
        pods=[],
        container=container,
        runs_for=timedelta(seconds=2),
        reason="Error",
        exit_code=CONFIG_EXIT_CODE,
        last_words=_config_error(key, value),
    )
    world.pod_hooks.append(BrokenConfig(loop, _selector(deploy), configmap, key, value))
    world.processes.insert(0, loop)
    stamp = {"kubectl.kubernetes.io/restartedAt": world.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    roll_out(world, namespace, name, patch={"metadata": {"annotations": stamp}})
    loop.run(world, world.now(), world.now())


@dataclass(frozen=True)
class BrokenConfig:
    """Pod hook: a pod of the Deployment started while the ConfigMap holds the bad value."""

    loop: CrashLoopPods
    selector: str
    configmap: str
    key: str
    value: str

    def __call__(self, world: World, pod: JsonObject) -> bool | None:
        """Make the pod crash-loop when the bad value is still in the ConfigMap."""
        meta = pod["metadata"]
        if meta["namespace"] != self.loop.namespace or not label_matches(
            self.selector, meta.get("labels", {})
        ):
            return None
        data = world.kube.get("configmaps", self.configmap, self.loop.namespace)["data"]
        if data.get(self.key) != self.value:
            return None
        labels = {
            "namespace": meta["namespace"],
            "pod": meta["name"],
            "container": self.loop.container,
        }
        restarts = {"__name__": "kube_pod_container_status_restarts_total", **labels}
        world.metrics.overlay(
            Overlay(
                restarts,
                parse_ts(meta["creationTimestamp"]),
                CrashLoopRestarts(self.loop.runs_for),
                reason="k8s.crashloop_bad_config",
            )
        )
        self.loop.pods.append(meta["name"])
        return False


def _config_error(key: str, value: str) -> LastWords:
    def words(pod: JsonObject, died: datetime) -> list[str]:
        del pod
        stamp = died.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return [
            json.dumps(
                {"ts": stamp, "level": "info", "msg": "loading configuration"},
                separators=(",", ":"),
            ),
            json.dumps(
                {
                    "ts": stamp,
                    "level": "fatal",
                    "msg": "invalid configuration",
                    "key": key,
                    "value": value,
                    "error": f"{key}: cannot parse {value!r}",
                },
                separators=(",", ":"),
            ),
        ]

    return words
