"""Which metric series show a triage finding, for the incident page's charts.

The series a model's `metrics_query` calls read are charted as they were asked. A finding
also gets the series that show its kind of fault on its resource (the memory of a workload
killed for memory, the Ready condition of a node...), so a report made without a model has
its charts too. The queries are selectors in the names kube-state-metrics, cAdvisor, node
exporter and the vSphere exporter use (the lab's monitoring uses the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from incidents.triage_report import ResourceRef, TriageReport

MAX_CHARTS = 4
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows, the PromQL behind it, its window and its unit."""

    title: str
    query: str
    minutes: int = 60
    unit: str = ""
    """`bytes`, `ratio`, `cores`, or empty for a plain number."""


def _pods(ref: ResourceRef) -> str:
    """The selector labels of the resource's pods (a workload's by name prefix)."""
    if ref.kind == "Pod":
        return f'namespace="{ref.namespace}",pod="{ref.name}"'
    return f'namespace="{ref.namespace}",pod=~"{ref.name}-.*"'


def _kubernetes(ref: ResourceRef, category: str | None) -> list[Chart]:
    if ref.kind == "Node":
        node = f'node="{ref.name}"'
        return [
            Chart(
                f"Ready condition of node {ref.name}",
                f'kube_node_status_condition{{{node},condition="Ready"}}',
            ),
            Chart(
                f"Memory of node {ref.name}",
                f"node_memory_working_set_bytes{{{node}}}",
                unit="bytes",
            ),
            Chart(f"CPU of node {ref.name}", f"node_cpu_usage_ratio{{{node}}}", unit="ratio"),
        ]
    if ref.kind not in (*WORKLOADS, "Pod") or not ref.namespace:
        return []
    pods, name = _pods(ref), f"{ref.namespace}/{ref.name}"
    memory = Chart(
        f"Memory of {name}", f"container_memory_working_set_bytes{{{pods}}}", unit="bytes"
    )
    limit = Chart(
        f"Memory limit of {name}",
        f'kube_pod_container_resource_limits{{{pods},resource="memory"}}',
        unit="bytes",
    )
    cpu = Chart(f"CPU of {name}", f"container_cpu_usage_cores{{{pods}}}", unit="cores")
    restarts = Chart(f"Restarts of {name}", f"kube_pod_container_status_restarts_total{{{pods}}}")
    if category == "resource.memory":
        return [memory, limit, restarts]
    if category == "resource.cpu":
        return [cpu, restarts]
    return [restarts, memory]


def _vsphere(ref: ResourceRef) -> list[Chart]:
    if ref.kind == "Datastore":
        return [
            Chart(
                f"Free space of datastore {ref.name}",
                f'vsphere_datastore_free_bytes{{datastore="{ref.name}"}}',
                unit="bytes",
            )
        ]
    if ref.kind == "HostSystem":
        host = f'host="{ref.name}"'
        return [
            Chart(f"Host {ref.name} connected", f"vsphere_host_connected{{{host}}}"),
            Chart(
                f"CPU of host {ref.name}", f"vsphere_host_cpu_usage_ratio{{{host}}}", unit="ratio"
            ),
        ]
    return []


def finding_charts(report: TriageReport | None, tool_calls: list[dict[str, Any]]) -> list[Chart]:
    """The charts of a triage run: its `metrics_query` calls, then its finding's series."""
    charts: list[Chart] = []
    for call in tool_calls:
        args = call.get("arguments") or {}
        if call.get("tool") == "metrics_query" and isinstance(args.get("query"), str):
            minutes = args.get("minutes")
            charts.append(
                Chart(
                    f"{args['query']} (call {call.get('call_id', '?')})",
                    args["query"],
                    minutes=minutes if isinstance(minutes, int) and minutes > 0 else 60,
                )
            )
    ref = report.root_cause if report is not None else None
    if ref is not None and ref.cloud == "kubernetes":
        charts += _kubernetes(ref, report.category if report else None)
    elif ref is not None and ref.cloud == "vsphere":
        charts += _vsphere(ref)
    unique: dict[str, Chart] = {}
    for chart in charts:
        unique.setdefault(chart.query, chart)
    return list(unique.values())[:MAX_CHARTS]
