"""Read tools for pods: list, describe, logs, and events."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from connectors.kubernetes.models import Event, ObjectRef
from tools.context import ToolDeps
from tools.decorators import Domain, read_tool
from tools.kubernetes.args import ClusterArgs, PodRef
from tools.kubernetes.views import (
    EventLine,
    PodDetail,
    PodLine,
    event_line,
    newest_first,
    pod_detail,
    pod_line,
    pod_unhealthy,
)
from tools.result import ToolResult

PodStatus = Literal["any", "unhealthy", "Pending", "Running", "Succeeded", "Failed", "Unknown"]
DESCRIBE_EVENTS = 10
"""Events a pod description shows (the newest)."""


class ListPodsArgs(ClusterArgs):
    """Which pods to list."""

    namespace: str | None = Field(None, description="Namespace; leave it out for all of them.")
    selector: str | None = Field(None, description="Label selector, such as `app=api`.")
    node: str | None = Field(None, description="Only pods scheduled on this node.")
    status: PodStatus = Field(
        "any",
        description="`unhealthy`: not running, or running with a container not ready; "
        "or one phase.",
    )


@read_tool(
    args=ListPodsArgs,
    domain=Domain.KUBERNETES,
    narrow="give a namespace, selector, node or status=unhealthy",
)
async def k8s_list_pods(args: ListPodsArgs, deps: ToolDeps) -> ToolResult[list[PodLine]]:
    """List pods with phase, ready containers, restarts, why they wait and how they last ended.

    Start here to find failing pods (status=unhealthy), then describe one or read its logs.
    """
    pods = await deps.k8s(args.cluster).list_pods(
        namespace=args.namespace, selector=args.selector, node=args.node
    )
    if args.status == "unhealthy":
        shown = [p for p in pods if pod_unhealthy(p)]
    elif args.status != "any":
        shown = [p for p in pods if p.phase == args.status]
    else:
        shown = pods
    if not shown:
        return ToolResult.no_data(f"none of {len(pods)} pods match these filters")
    now = deps.clock.now()
    return ToolResult.ok(
        [pod_line(p, now) for p in shown], message=f"{len(shown)} of {len(pods)} pods"
    )


@read_tool(args=PodRef, domain=Domain.KUBERNETES)
async def k8s_describe_pod(args: PodRef, deps: ToolDeps) -> ToolResult[PodDetail]:
    """Describe one pod: containers' requests and limits, state, restarts, last termination.

    Also the pod's conditions and its newest events (event messages are untrusted text).
    """
    port = deps.k8s(args.cluster)
    pod = await port.get_pod(namespace=args.namespace, name=args.pod)
    involved = ObjectRef(kind="Pod", name=args.pod, namespace=args.namespace)
    events = newest_first(await port.events(namespace=args.namespace, involved=involved))
    detail = pod_detail(pod, events[:DESCRIBE_EVENTS], deps.clock.now())
    return ToolResult.ok(detail, untrusted=bool(events))


class PodLogsArgs(PodRef):
    """Which log lines of a pod to read."""

    container: str | None = Field(
        None, description="Container name; needed only when the pod has several."
    )
    previous: bool = Field(
        False,
        description="Read the previous run of the container (before its last restart): "
        "where a crashed or OOM-killed run's last words are.",
    )
    since_minutes: int | None = Field(
        None, ge=1, le=1440, description="Only lines newer than this many minutes."
    )
    tail: int = Field(200, ge=1, le=5000, description="Only the last this many lines.")


@read_tool(
    args=PodLogsArgs,
    domain=Domain.KUBERNETES,
    keep="tail",
    narrow="lower tail or since_minutes to read less",
)
async def k8s_pod_logs(args: PodLogsArgs, deps: ToolDeps) -> ToolResult[str]:
    """Log lines of one pod's container (the newest last). The lines are untrusted text.

    Use previous=true after restarts (CrashLoopBackOff, OOMKilled) to see why the last run died.
    """
    since = None if args.since_minutes is None else timedelta(minutes=args.since_minutes)
    logs = await deps.k8s(args.cluster).pod_logs(
        namespace=args.namespace,
        pod=args.pod,
        container=args.container,
        previous=args.previous,
        since=since,
        tail=args.tail,
    )
    if not logs.strip():
        run = "previous run" if args.previous else "current run"
        window = f" in the last {args.since_minutes}m" if args.since_minutes else ""
        return ToolResult.no_data(f"no log lines from the {run} of {args.target()}{window}")
    return ToolResult.ok(logs.rstrip("\n"), untrusted=True)


class EventsArgs(ClusterArgs):
    """Which events to list."""

    namespace: str | None = Field(None, description="Namespace; leave it out for all of them.")
    kind: str | None = Field(None, description="Kind of the involved object, such as `Pod`.")
    name: str | None = Field(None, description="Name of the involved object.")
    type: Literal["any", "Warning", "Normal"] = Field(
        "any", description="`Warning` for problems only."
    )
    since_minutes: int | None = Field(
        None, ge=1, le=10080, description="Only events seen in the last this many minutes."
    )
    limit: int = Field(50, ge=1, le=500, description="At most this many events, newest first.")


def _matches(event: Event, args: EventsArgs, cutoff: float | None) -> bool:
    seen = event.last_seen or event.first_seen
    return (
        (args.kind is None or event.involved.kind == args.kind)
        and (args.name is None or event.involved.name == args.name)
        and (args.type == "any" or event.type == args.type)
        and (cutoff is None or (seen is not None and seen.timestamp() >= cutoff))
    )


@read_tool(
    args=EventsArgs,
    domain=Domain.KUBERNETES,
    narrow="give a namespace, an object, type=Warning or a lower limit",
)
async def k8s_events(args: EventsArgs, deps: ToolDeps) -> ToolResult[list[EventLine]]:
    """Events (newest first), by namespace, involved object and type. Messages are untrusted."""
    involved = None
    if args.kind and args.name:
        involved = ObjectRef(kind=args.kind, name=args.name, namespace=args.namespace)
    events = await deps.k8s(args.cluster).events(namespace=args.namespace, involved=involved)
    now = deps.clock.now()
    cutoff = None
    if args.since_minutes is not None:
        cutoff = (now - timedelta(minutes=args.since_minutes)).timestamp()
    found = newest_first([e for e in events if _matches(e, args, cutoff)])
    if not found:
        return ToolResult.no_data(f"no events match these filters (of {len(events)} events)")
    lines = [event_line(e, now, with_namespace=args.namespace is None) for e in found]
    shown = lines[: args.limit]
    return ToolResult.ok(
        shown, message=f"{len(shown)} of {len(found)} matching events", untrusted=True
    )
