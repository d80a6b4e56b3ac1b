"""Read tools for the cluster as a whole: namespaces, nodes, and measured resource usage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from connectors.kubernetes.models import Node, NodeUsage, PodUsage
from connectors.kubernetes.quantities import quantity
from tools.context import ToolDeps
from tools.decorators import Domain, read_tool
from tools.formatting import View, number, size
from tools.kubernetes.args import ClusterArgs
from tools.kubernetes.views import (
    NodeDetail,
    NodeLine,
    node_detail,
    node_line,
    node_problems,
)
from tools.result import ToolResult


class NamespaceLine(View):
    """One namespace."""

    name: str
    phase: str


@read_tool(args=ClusterArgs, domain=Domain.KUBERNETES)
async def k8s_list_namespaces(args: ClusterArgs, deps: ToolDeps) -> ToolResult[list[NamespaceLine]]:
    """List the cluster's namespaces and their phase."""
    namespaces = await deps.k8s(args.cluster).list_namespaces()
    return ToolResult.listing(
        [NamespaceLine(name=n.name, phase=n.phase) for n in namespaces],
        empty="the cluster has no namespaces visible to PixelView",
    )


class ListNodesArgs(ClusterArgs):
    """Which nodes to list."""

    selector: str | None = Field(None, description="Label selector, such as `role=worker`.")
    problems_only: bool = Field(
        False,
        description="Only nodes that are not Ready, are cordoned, or have a condition set.",
    )


def _troubled(node: Node) -> bool:
    return not node.ready or node.unschedulable or bool(node_problems(node))


@read_tool(args=ListNodesArgs, domain=Domain.KUBERNETES, narrow="give a selector")
async def k8s_list_nodes(args: ListNodesArgs, deps: ToolDeps) -> ToolResult[list[NodeLine]]:
    """List nodes: Ready or not, cordoned, unhealthy conditions, taints, allocatable CPU/memory."""
    nodes = await deps.k8s(args.cluster).list_nodes(selector=args.selector)
    shown = [n for n in nodes if _troubled(n)] if args.problems_only else nodes
    if not shown:
        what = "with a problem" if args.problems_only else "matching"
        return ToolResult.no_data(f"no nodes {what} (of {len(nodes)})")
    now = deps.clock.now()
    return ToolResult.ok([node_line(n, now) for n in shown], message=f"{len(shown)} nodes")


class NodeArgs(ClusterArgs):
    """Which node to describe."""

    name: str = Field(description="Exact node name, as k8s_list_nodes returns it.")


@read_tool(args=NodeArgs, domain=Domain.KUBERNETES)
async def k8s_get_node(args: NodeArgs, deps: ToolDeps) -> ToolResult[NodeDetail]:
    """Describe one node: every condition with its reason, taints, capacity, labels."""
    node = await deps.k8s(args.cluster).get_node(name=args.name)
    return ToolResult.ok(node_detail(node, deps.clock.now()))


class UsageArgs(ClusterArgs):
    """Which measured usage to show."""

    namespace: str | None = Field(None, description="Only pods of this namespace.")
    sort_by: Literal["memory", "cpu"] = Field("memory", description="Order pods by this.")
    top: int = Field(15, ge=1, le=200, description="Show this many pods at most.")


class NodeUsageLine(View):
    """A node's measured usage against what it can allocate."""

    name: str
    cpu: str
    memory: str


class PodUsageLine(View):
    """A pod's measured usage."""

    namespace: str
    name: str
    cpu_cores: float
    memory: str


class Usage(View):
    """Measured usage of nodes and the top pods."""

    nodes: list[NodeUsageLine]
    pods: list[PodUsageLine]


def _share(used: float, of: str | None, unit: str) -> str:
    shown = size(used) if unit == "bytes" else f"{number(used)} cores"
    if not of:
        return shown
    total = quantity(of)
    return f"{shown} ({used / total:.0%} of {size(total) if unit == 'bytes' else of})"


def _node_usage(u: NodeUsage, node: Node | None) -> NodeUsageLine:
    allocatable = node.allocatable if node else {}
    return NodeUsageLine(
        name=u.name,
        cpu=_share(u.cpu_cores, allocatable.get("cpu"), "cores"),
        memory=_share(u.memory_bytes, allocatable.get("memory"), "bytes"),
    )


def _pod_usage(u: PodUsage) -> PodUsageLine:
    return PodUsageLine(
        namespace=u.namespace,
        name=u.name,
        cpu_cores=number(u.cpu_cores),
        memory=size(u.memory_bytes),
    )


@read_tool(args=UsageArgs, domain=Domain.KUBERNETES)
async def k8s_resource_usage(args: UsageArgs, deps: ToolDeps) -> ToolResult[Usage]:
    """Measured CPU and memory (metrics API): nodes against allocatable, and the top pods."""
    port = deps.k8s(args.cluster)
    usage = await port.resource_usage(namespace=args.namespace)
    if not usage.available:
        return ToolResult.no_data(f"no measured usage: {usage.reason or 'no metrics API'}")
    nodes = {n.name: n for n in await port.list_nodes()}
    pods = sorted(
        usage.pods,
        key=lambda p: p.memory_bytes if args.sort_by == "memory" else p.cpu_cores,
        reverse=True,
    )[: args.top]
    return ToolResult.ok(
        Usage(
            nodes=[_node_usage(u, nodes.get(u.name)) for u in usage.nodes],
            pods=[_pod_usage(p) for p in pods],
        ),
        message=f"top {len(pods)} of {len(usage.pods)} pods by {args.sort_by}",
    )
