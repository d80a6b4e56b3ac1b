"""Read tools over the Kubernetes port: namespaces, nodes, pods, logs, events, workloads, usage."""

from __future__ import annotations

from typing import Any

from tools.decorators import ReadTool
from tools.kubernetes import cluster, pods, workloads

TOOLS: tuple[ReadTool[Any, Any], ...] = (
    cluster.k8s_list_namespaces,
    cluster.k8s_list_nodes,
    cluster.k8s_get_node,
    pods.k8s_list_pods,
    pods.k8s_describe_pod,
    pods.k8s_pod_logs,
    pods.k8s_events,
    workloads.k8s_list_workloads,
    workloads.k8s_get_workload,
    workloads.k8s_list_services,
    workloads.k8s_service_endpoints,
    cluster.k8s_resource_usage,
)
"""Every Kubernetes read tool, in the order a model is shown them."""
