"""Rules over pods: OOMKilled, CrashLoopBackOff, ImagePullBackOff, unschedulable, failing probes.

Each rule looks at one pod (its container statuses, its events, its previous log) and names
the workload that owns it as the thing to fix, since a Deployment's pods come and go while
its template is what a person changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from connectors.kubernetes.models import ContainerStatus, Event, ObjectRef, Pod, Workload
from connectors.kubernetes.port import KubernetesPort
from connectors.kubernetes.quantities import quantity
from incidents.triage_report import Category, RecommendedAction, ResourceRef
from tools.analyzers.findings import Finding

LOG_TAIL = 12
"""Lines of a crashed container's previous log read as evidence."""
EVIDENCE_LINES = 4
REPEATED_RESTARTS = 3
"""Restarts of a container that is not ready, read as a crash loop before the kubelet says so."""
CONFIG_WORDS = re.compile(
    r"config|configuration|invalid|parse|parsing|missing required|environment variable|"
    r"no such file|yaml|toml|unmarshal|malformed|bad value",
    re.IGNORECASE,
)
"""Words of a process that died on its configuration rather than on its work."""
SCHEDULING_CAPACITY = re.compile(r"Insufficient (cpu|memory|ephemeral-storage|pods)", re.IGNORECASE)


def owner_of(pod: Pod, replica_sets: Mapping[tuple[str, str], Workload]) -> ResourceRef:
    """The workload to fix for a pod: its Deployment through its ReplicaSet, else its owner."""
    owner = pod.owner
    if owner is None:
        return ResourceRef(cloud="kubernetes", kind="Pod", namespace=pod.namespace, name=pod.name)
    if owner.kind == "ReplicaSet":
        rs = replica_sets.get((pod.namespace, owner.name))
        if rs is not None and rs.owner is not None:
            owner = rs.owner
    return ResourceRef(
        cloud="kubernetes", kind=owner.kind, namespace=pod.namespace, name=owner.name
    )


def pod_ref(pod: Pod) -> ResourceRef:
    """The pod as a report names it."""
    return ResourceRef(cloud="kubernetes", kind="Pod", namespace=pod.namespace, name=pod.name)


def _container(pod: Pod, name: str) -> tuple[str | None, str | None]:
    """The container's memory limit and request as the spec writes them."""
    for container in pod.containers:
        if container.name == name:
            return container.limits.get("memory"), container.requests.get("memory")
    return None, None


def _double(limit_text: str) -> str:
    mebibytes = int(quantity(limit_text) * 2 / 1024**2)
    return f"{mebibytes}Mi"


def _undo(owner: ResourceRef, reason: str) -> RecommendedAction | None:
    """Roll the owning Deployment back (nothing to propose for a bare pod)."""
    if owner.kind != "Deployment":
        return None
    return RecommendedAction(
        action="kubernetes.rollout_undo",
        params={"namespace": owner.namespace, "deployment": owner.name},
        reason=reason,
    )


async def _previous_log(port: KubernetesPort, pod: Pod, container: str) -> list[str]:
    """The last lines of the container's previous run (empty when the port has none)."""
    try:
        text = await port.pod_logs(
            namespace=pod.namespace, pod=pod.name, container=container, previous=True, tail=LOG_TAIL
        )
    except Exception:  # a log the kubelet no longer has is no reason to lose the finding
        return []
    return [line for line in text.splitlines() if line.strip()][-EVIDENCE_LINES:]


async def oom_killed(
    port: KubernetesPort, pod: Pod, status: ContainerStatus, owner: ResourceRef
) -> Finding | None:
    """A container the kernel's OOM killer ended (exit 137): its limit is below its needs."""
    ended = status.last_termination
    reason = ended.reason if ended is not None else status.reason
    if reason != "OOMKilled" and not (
        status.state == "terminated" and status.reason == "OOMKilled"
    ):
        return None
    limit, _ = _container(pod, status.name)
    exit_code = ended.exit_code if ended is not None and ended.exit_code is not None else 137
    evidence = [
        f"pod {pod.namespace}/{pod.name} container {status.name}: last terminated OOMKilled "
        f"(exit code {exit_code}), {status.restart_count} restarts, "
        f"now {status.reason or status.state}",
    ]
    if limit:
        evidence.append(f"container {status.name} memory limit {limit}")
    evidence += [f"previous log: {line}" for line in await _previous_log(port, pod, status.name)]
    action = None
    if limit and owner.kind == "Deployment":
        action = RecommendedAction(
            action="kubernetes.set_memory_limit",
            params={
                "namespace": pod.namespace,
                "deployment": owner.name,
                "container": status.name,
                "memory_limit": _double(limit),
            },
            reason=f"the container needs more than its {limit} limit",
        )
    summary = (
        f"{owner.kind} {owner.namespace}/{owner.name}: container {status.name} is OOMKilled "
        f"(exit code {exit_code})" + (f" at its {limit} memory limit" if limit else "")
    )
    return Finding(
        analyzer="oom_killed",
        resource=owner,
        category="resource.memory",
        summary=summary,
        evidence=tuple(evidence),
        subjects=(pod_ref(pod),),
        action=action,
        weight=1.0,
    )


async def crash_loop(
    port: KubernetesPort, pod: Pod, status: ContainerStatus, owner: ResourceRef
) -> Finding | None:
    """A container that keeps exiting with an error (OOM kills are the rule above)."""
    ended = status.last_termination
    if ended is None or ended.reason == "OOMKilled":
        return None
    looping = status.reason == "CrashLoopBackOff" or (
        ended.exit_code and not status.ready and status.restart_count >= REPEATED_RESTARTS
    )
    if not looping:
        return None  # one old restart of a container that now runs is not a finding
    lines = await _previous_log(port, pod, status.name)
    category: Category = (
        "crash.config" if any(CONFIG_WORDS.search(line) for line in lines) else "crash.application"
    )
    evidence = [
        f"pod {pod.namespace}/{pod.name} container {status.name}: {status.reason or status.state}, "
        f"last exit code {ended.exit_code} ({ended.reason or 'no reason'}), "
        f"{status.restart_count} restarts",
        *(f"previous log: {line}" for line in lines),
    ]
    kind = "its configuration" if category == "crash.config" else "an error"
    action = _undo(owner, "go back to the revision that ran before the crashes began")
    return Finding(
        analyzer="crash_loop",
        resource=owner,
        category=category,
        summary=f"{owner.kind} {owner.namespace}/{owner.name}: container {status.name} crash-loops "
        f"on {kind} (exit code {ended.exit_code})",
        evidence=tuple(evidence),
        subjects=(pod_ref(pod),),
        action=action,
        weight=0.9,
    )


def image_pull(pod: Pod, status: ContainerStatus, owner: ResourceRef) -> Finding | None:
    """A container whose image cannot be pulled."""
    if status.reason not in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
        return None
    image = status.image or next((c.image for c in pod.containers if c.name == status.name), None)
    evidence = [
        f"pod {pod.namespace}/{pod.name} container {status.name}: waiting {status.reason} "
        f"for image {image}",
    ]
    action = _undo(owner, "the previous revision's image could be pulled")
    return Finding(
        analyzer="image_pull",
        resource=owner,
        category="image.pull",
        summary=f"{owner.kind} {owner.namespace}/{owner.name}: image {image} cannot be pulled "
        f"({status.reason})",
        evidence=tuple(evidence),
        subjects=(pod_ref(pod),),
        action=action,
        weight=1.0,
    )


def pull_messages(events: list[Event]) -> list[str]:
    """What the kubelet said about failed pulls (containerd's error)."""
    return [
        f"event {e.reason}: {e.message}"
        for e in events
        if e.reason in ("Failed", "ErrImagePull") and "pull" in e.message.lower()
    ][:2]


def unschedulable(pod: Pod, events: list[Event], owner: ResourceRef) -> Finding | None:
    """A Pending pod the scheduler cannot place, with the scheduler's reason."""
    if pod.phase != "Pending" or pod.node:
        return None
    failed = [e for e in events if e.reason == "FailedScheduling"]
    if not failed:
        return None
    message = failed[-1].message
    capacity = SCHEDULING_CAPACITY.search(message)
    category: Category = "scheduling.capacity" if capacity else "scheduling.constraints"
    action = None
    if capacity and owner.kind == "Deployment":
        action = RecommendedAction(
            action="kubernetes.scale_deployment",
            params={"namespace": pod.namespace, "deployment": owner.name},
            reason=f"the cluster has no room for more pods asking for this much {capacity[1]}; "
            "scale down or lower the request (or add nodes)",
        )
    return Finding(
        analyzer="unschedulable",
        resource=owner,
        category=category,
        summary=f"{owner.kind} {owner.namespace}/{owner.name}: pod {pod.name} cannot be scheduled"
        + (f" (insufficient {capacity[1]})" if capacity else ""),
        evidence=(f"pod {pod.namespace}/{pod.name} Pending; scheduler: {message}",),
        subjects=(pod_ref(pod),),
        action=action,
        weight=1.0 if capacity else 0.8,
    )


def failing_probes(pod: Pod, events: list[Event], owner: ResourceRef) -> Finding | None:
    """Readiness or liveness probes failing (a symptom: the cause is what the app waits on)."""
    unhealthy = [e for e in events if e.reason == "Unhealthy"]
    if not unhealthy:
        return None
    kinds = sorted({"liveness" if "Liveness" in e.message else "readiness" for e in unhealthy})
    return Finding(
        analyzer="failing_probes",
        resource=owner,
        category="dependency.service",
        summary=f"{owner.kind} {owner.namespace}/{owner.name}: {' and '.join(kinds)} probes fail",
        evidence=tuple(
            f"event Unhealthy x{e.count} on pod {pod.name}: {e.message}" for e in unhealthy[-2:]
        ),
        subjects=(pod_ref(pod),),
        weight=0.3,
    )


async def pod_events(port: KubernetesPort, pod: Pod) -> list[Event]:
    """The events about one pod."""
    ref = ObjectRef(kind="Pod", name=pod.name, namespace=pod.namespace)
    return await port.events(namespace=pod.namespace, involved=ref)
