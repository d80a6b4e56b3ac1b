"""Run every Kubernetes rule over the part of a cluster an incident points at.

    findings = await analyze_kubernetes(port, Scope.from_labels(incident.labels))

Reads are bounded (`MAX_PODS` pods, one events list per namespace, logs only of pods that
show trouble or are asked about), findings about one resource merge into one, and the list
comes back most explanatory first: a cause (an OOM-killed Deployment, a NotReady node, CoreDNS
failing) before the symptoms it produces (failing probes, lookups failing in an app).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import replace

from connectors.kubernetes.models import Event, Pod, Workload
from connectors.kubernetes.port import KubernetesPort
from tools.analyzers import logs, nodes, pods
from tools.analyzers.findings import Finding
from tools.analyzers.scope import Scope

MAX_PODS = 60
"""Pods examined per run (the unhealthy first)."""
MAX_LOGGED_PODS = 12
"""Pods whose current logs are read for DNS errors."""
MAX_EVIDENCE = 8
MAX_SUBJECTS = 30


async def analyze_kubernetes(port: KubernetesPort, scope: Scope) -> list[Finding]:
    """Every finding in `scope`, merged per resource and rule, most explanatory first."""
    scoped = await _scoped_pods(port, scope)
    namespaces = sorted({p.namespace for p in scoped})
    replica_sets, events = await asyncio.gather(
        _replica_sets(port, namespaces), _events_by_pod(port, namespaces)
    )
    found: list[Finding] = []
    for pod in scoped:
        owner = pods.owner_of(pod, replica_sets)
        pod_events = events.get((pod.namespace, pod.name), [])
        for status in pod.statuses:
            for rule in (pods.oom_killed, pods.crash_loop):
                finding = await rule(port, pod, status, owner)
                if finding is not None:
                    found.append(finding)
            pulled = pods.image_pull(pod, status, owner)
            if pulled is not None:
                messages = pods.pull_messages(pod_events)
                found.append(replace(pulled, evidence=pulled.evidence + tuple(messages)))
        for check in (pods.unschedulable, pods.failing_probes):
            finding = check(pod, pod_events, owner)
            if finding is not None:
                found.append(finding)
    found += await _nodes(port, scope, scoped)
    found += await _dns(port, scope, scoped, replica_sets)
    return rank(found)


def rank(found: list[Finding]) -> list[Finding]:
    """One finding per rule and resource (subjects and evidence merged), best first."""
    merged: dict[tuple[str, str, str, str], Finding] = {}
    for finding in found:
        key = finding.key()
        if key not in merged:
            merged[key] = finding
            continue
        known = merged[key]
        merged[key] = replace(
            known,
            evidence=tuple(dict.fromkeys(known.evidence + finding.evidence))[:MAX_EVIDENCE],
            subjects=tuple(dict.fromkeys(known.subjects + finding.subjects))[:MAX_SUBJECTS],
            weight=max(known.weight, finding.weight),
            action=known.action or finding.action,
        )
    return sorted(merged.values(), key=lambda f: (-f.weight, -len(f.subjects), f.key()))


async def _scoped_pods(port: KubernetesPort, scope: Scope) -> list[Pod]:
    listed = await port.list_pods(namespace=scope.namespace, node=scope.node)
    chosen = listed
    if scope.pods:
        named = [p for p in listed if p.name in scope.pods]
        # The alert's pods may have been replaced since (a rollout, an eviction): their
        # successors share the name up to the ReplicaSet's hash.
        prefixes = tuple(_stem(name) for name in scope.pods)
        chosen = named or [p for p in listed if p.name.startswith(prefixes)]
    if scope.workload:
        chosen = [p for p in chosen if p.name.startswith(f"{scope.workload}-")]
    unhealthy = sorted(chosen, key=lambda p: (_healthy(p), p.namespace, p.name))
    return unhealthy[:MAX_PODS]


def _stem(pod_name: str) -> str:
    parts = pod_name.split("-")
    return "-".join(parts[:-2]) + "-" if len(parts) > 2 else pod_name


def _healthy(pod: Pod) -> bool:
    return pod.phase in ("Running", "Succeeded") and all(s.ready for s in pod.statuses)


async def _replica_sets(
    port: KubernetesPort, namespaces: list[str]
) -> dict[tuple[str, str], Workload]:
    listed = await asyncio.gather(
        *(port.list_workloads(kind="ReplicaSet", namespace=ns) for ns in namespaces)
    )
    return {(rs.namespace, rs.name): rs for of_ns in listed for rs in of_ns}


async def _events_by_pod(
    port: KubernetesPort, namespaces: list[str]
) -> dict[tuple[str, str], list[Event]]:
    listed = await asyncio.gather(*(port.events(namespace=ns) for ns in namespaces))
    by_pod: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for of_ns in listed:
        for event in of_ns:
            if event.involved.kind == "Pod":
                by_pod[(event.namespace, event.involved.name)].append(event)
    return by_pod


async def _nodes(port: KubernetesPort, scope: Scope, scoped: list[Pod]) -> list[Finding]:
    """NotReady nodes named by the scope, or hosting its pods, or anywhere when it is wide."""
    names = {scope.node} if scope.node else {p.node for p in scoped if p.node}
    found = []
    for node in await port.list_nodes():
        if node.ready or not (scope.cluster_wide or node.name in names):
            continue
        on_it = await port.list_pods(namespace=None, node=node.name)
        finding = nodes.not_ready(node, on_it)
        if finding is not None:
            found.append(finding)
    return found


async def _dns(
    port: KubernetesPort,
    scope: Scope,
    scoped: list[Pod],
    replica_sets: dict[tuple[str, str], Workload],
) -> list[Finding]:
    """Lookups failing in the scope's apps, and CoreDNS itself when they do (or it is asked)."""
    found = []
    for pod in [p for p in scoped if p.namespace != "kube-system"][:MAX_LOGGED_PODS]:
        finding = logs.app_dns_errors(
            pod, pods.owner_of(pod, replica_sets), await logs.recent_lines(port, pod)
        )
        if finding is not None:
            found.append(finding)
    if found or scope.namespace == "kube-system" or scope.cluster_wide:
        dns = await logs.coredns_pods(port)
        errors = {p.name: logs.dns_errors(await logs.recent_lines(port, p)) for p in dns}
        failing = logs.coredns_failing(dns, errors)
        if failing is not None:
            found.append(failing)
    return found
