"""Rules over logs: name resolution failing in apps, and CoreDNS failing to forward."""

from __future__ import annotations

import re

from connectors.kubernetes.models import Pod
from connectors.kubernetes.port import KubernetesPort
from incidents.triage_report import ResourceRef
from tools.analyzers.findings import Finding

DNS_ERROR = re.compile(
    r"server misbehaving|no such host|Temporary failure in name resolution|SERVFAIL|"
    r"lookup \S+ on \S+:53|->\S+:53: i/o timeout|NXDOMAIN",
    re.IGNORECASE,
)
LOG_TAIL = 50
EVIDENCE_LINES = 3
COREDNS_SELECTORS = ("k8s-app=kube-dns", "app=coredns")


async def recent_lines(port: KubernetesPort, pod: Pod) -> list[str]:
    """The last lines of each container of a pod (none when the port cannot give them)."""
    lines: list[str] = []
    for container in pod.containers or ():
        try:
            text = await port.pod_logs(
                namespace=pod.namespace, pod=pod.name, container=container.name, tail=LOG_TAIL
            )
        except Exception:  # a pod without logs yet (Pending) has nothing to say here
            continue
        lines += text.splitlines()
    return lines


def dns_errors(lines: list[str]) -> list[str]:
    """The lines that say a name did not resolve."""
    return [line for line in lines if DNS_ERROR.search(line)]


async def coredns_pods(port: KubernetesPort) -> list[Pod]:
    """The cluster DNS pods (CoreDNS, by either label convention)."""
    for selector in COREDNS_SELECTORS:
        pods = await port.list_pods(namespace="kube-system", selector=selector)
        if pods:
            return pods
    return []


def coredns_failing(pods: list[Pod], errors: dict[str, list[str]]) -> Finding | None:
    """CoreDNS logging forwarding errors: the cluster's name resolution is the cause."""
    failing = [p for p in pods if errors.get(p.name)]
    if not failing:
        return None
    owner = ResourceRef(
        cloud="kubernetes", kind="Deployment", namespace="kube-system", name="coredns"
    )
    sample = [line for p in failing for line in errors[p.name][-EVIDENCE_LINES:]][:EVIDENCE_LINES]
    return Finding(
        analyzer="dns_failure",
        resource=owner,
        category="network.dns",
        summary=f"CoreDNS cannot resolve names: {len(failing)} of its {len(pods)} pods log "
        "forwarding errors",
        evidence=tuple(f"coredns log ({p.name}): {line}" for p in failing[:1] for line in sample),
        subjects=tuple(
            ResourceRef(cloud="kubernetes", kind="Pod", namespace=p.namespace, name=p.name)
            for p in failing
        ),
        weight=1.0,
    )


def app_dns_errors(pod: Pod, owner: ResourceRef, lines: list[str]) -> Finding | None:
    """An app that logs failed lookups (a symptom of DNS trouble, or of a wrong host name)."""
    errors = dns_errors(lines)
    if not errors:
        return None
    return Finding(
        analyzer="dns_errors_in_logs",
        resource=owner,
        category="network.dns",
        summary=f"{owner.kind} {owner.namespace}/{owner.name}: lookups fail "
        f"({len(errors)} of its last {len(lines)} log lines)",
        evidence=tuple(f"log of {pod.name}: {line}" for line in errors[-EVIDENCE_LINES:]),
        subjects=(
            ResourceRef(cloud="kubernetes", kind="Pod", namespace=pod.namespace, name=pod.name),
        ),
        weight=0.6,
    )
