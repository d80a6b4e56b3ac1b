"""Read tools for workloads (Deployments, StatefulSets...) and services with their endpoints."""

from __future__ import annotations

from typing import get_args

from pydantic import Field

from connectors.kubernetes.models import (
    EndpointAddress,
    Service,
    ServicePort,
    Workload,
    WorkloadKind,
)
from tools.context import ToolDeps
from tools.decorators import Domain, read_tool
from tools.formatting import View
from tools.kubernetes.args import ClusterArgs
from tools.kubernetes.views import (
    WorkloadDetail,
    WorkloadLine,
    workload_detail,
    workload_line,
)
from tools.result import ToolResult


class ListWorkloadsArgs(ClusterArgs):
    """Which workloads to list."""

    namespace: str | None = Field(None, description="Namespace; leave it out for all of them.")
    kind: WorkloadKind | None = Field(
        None, description="Only this kind; leave it out for Deployments, StatefulSets, DaemonSets."
    )
    selector: str | None = Field(None, description="Label selector, such as `app=api`.")
    not_ready_only: bool = Field(False, description="Only workloads with fewer ready than desired.")


LISTED_KINDS: tuple[WorkloadKind, ...] = ("Deployment", "StatefulSet", "DaemonSet")
"""Kinds listed when none is asked for (ReplicaSets are the Deployments' machinery)."""


@read_tool(args=ListWorkloadsArgs, domain=Domain.KUBERNETES, narrow="give a namespace or kind")
async def k8s_list_workloads(
    args: ListWorkloadsArgs, deps: ToolDeps
) -> ToolResult[list[WorkloadLine]]:
    """List workloads with ready/desired, updated and available replicas."""
    port = deps.k8s(args.cluster)
    found: list[Workload] = []
    for kind in (args.kind,) if args.kind else LISTED_KINDS:
        found += await port.list_workloads(
            kind=kind, namespace=args.namespace, selector=args.selector
        )
    shown = [w for w in found if w.ready < w.desired] if args.not_ready_only else found
    if not shown:
        return ToolResult.no_data(f"no workloads match these filters (of {len(found)})")
    now = deps.clock.now()
    return ToolResult.ok(
        [workload_line(w, now) for w in shown], message=f"{len(shown)} of {len(found)} workloads"
    )


class WorkloadArgs(ClusterArgs):
    """Which workload to describe."""

    kind: WorkloadKind = Field(
        "Deployment", description=f"One of {', '.join(get_args(WorkloadKind))}."
    )
    namespace: str = Field(description="Namespace of the workload.")
    name: str = Field(description="Exact name of the workload.")

    def target(self) -> str:
        """`Kind namespace/name`."""
        return f"{self.kind} {self.namespace}/{self.name}"


@read_tool(args=WorkloadArgs, domain=Domain.KUBERNETES)
async def k8s_get_workload(args: WorkloadArgs, deps: ToolDeps) -> ToolResult[WorkloadDetail]:
    """Describe a workload: replicas, pod template (images, requests, limits), last restart.

    Also lists its pods with their status, so one call shows a rollout's state.
    """
    port = deps.k8s(args.cluster)
    workload = await port.get_workload(kind=args.kind, namespace=args.namespace, name=args.name)
    selector = ",".join(f"{k}={v}" for k, v in sorted(workload.selector.items()))
    pods = await port.list_pods(namespace=args.namespace, selector=selector) if selector else []
    return ToolResult.ok(workload_detail(workload, pods, deps.clock.now()))


class ListServicesArgs(ClusterArgs):
    """Which services to list."""

    namespace: str | None = Field(None, description="Namespace; leave it out for all of them.")


class ServiceLine(View):
    """One service."""

    namespace: str
    name: str
    type: str
    cluster_ip: str | None = None
    ports: list[str] | None = None
    """`name port->target/protocol`."""
    selector: str | None = None


def _port(p: ServicePort) -> str:
    target = f"->{p.target_port}" if p.target_port else ""
    node = f" nodePort {p.node_port}" if p.node_port else ""
    return f"{p.name + ' ' if p.name else ''}{p.port}{target}/{p.protocol}{node}"


def service_line(s: Service) -> ServiceLine:
    """A service's line: type, cluster IP, ports, selector."""
    return ServiceLine(
        namespace=s.namespace,
        name=s.name,
        type=s.type,
        cluster_ip=s.cluster_ip,
        ports=[_port(p) for p in s.ports] or None,
        selector=",".join(f"{k}={v}" for k, v in sorted(s.selector.items())) or None,
    )


@read_tool(args=ListServicesArgs, domain=Domain.KUBERNETES, narrow="give a namespace")
async def k8s_list_services(
    args: ListServicesArgs, deps: ToolDeps
) -> ToolResult[list[ServiceLine]]:
    """List services with type, cluster IP, ports and pod selector."""
    services = await deps.k8s(args.cluster).list_services(namespace=args.namespace)
    where = f"in namespace {args.namespace}" if args.namespace else "in the cluster"
    return ToolResult.listing([service_line(s) for s in services], empty=f"no services {where}")


class ServiceArgs(ClusterArgs):
    """Which service's endpoints to show."""

    namespace: str = Field(description="Namespace of the service.")
    name: str = Field(description="Exact name of the service.")

    def target(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"


class ServiceEndpoints(View):
    """The backends of a service: which pods receive traffic and which do not."""

    service: ServiceLine | None
    ready: list[str] | None = None
    """`ip pod (node)` of each address that receives traffic."""
    not_ready: list[str] | None = None
    ports: list[int] | None = None


def _address(a: EndpointAddress) -> str:
    pod = f" {a.target.kind}/{a.target.name}" if a.target else ""
    node = f" on {a.node}" if a.node else ""
    return f"{a.ip}{pod}{node}"


@read_tool(args=ServiceArgs, domain=Domain.KUBERNETES)
async def k8s_service_endpoints(args: ServiceArgs, deps: ToolDeps) -> ToolResult[ServiceEndpoints]:
    """A service and its endpoints: the pods behind it, ready (serving) or not."""
    port = deps.k8s(args.cluster)
    endpoints = await port.get_endpoints(namespace=args.namespace, name=args.name)
    services = await port.list_services(namespace=args.namespace)
    service = next((service_line(s) for s in services if s.name == args.name), None)
    ready = [_address(a) for a in endpoints.addresses if a.ready]
    not_ready = [_address(a) for a in endpoints.addresses if not a.ready]
    message = None if ready else "no ready endpoints: the service sends traffic nowhere"
    return ToolResult.ok(
        ServiceEndpoints(
            service=service,
            ready=ready or None,
            not_ready=not_ready or None,
            ports=list(endpoints.ports) or None,
        ),
        message=message,
    )
