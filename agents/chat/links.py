"""Links of a tool result (what it names) and of an answer (what its words name).

A result's links come from its typed data: pods, nodes, workloads, services and namespaces of
a cluster, the analyzers' suspects, incidents, past incidents and runbook sections. An answer
written by a model links what it mentions among the results of its turn, and cites the call
ids it names (`[t3]`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from agents.chat.steps import IncidentLink, Link, ResourceLink, RunbookLink
from tools.analyzers.tool import FindingView
from tools.incident_status import TriageView
from tools.incidents import IncidentLine
from tools.kubernetes.cluster import NamespaceLine
from tools.kubernetes.views import (
    NodeDetail,
    NodeLine,
    PodDetail,
    PodLine,
    WorkloadDetail,
    WorkloadLine,
)
from tools.kubernetes.workloads import ServiceLine
from tools.memory import PastIncident, RunbookSection
from tools.result import ToolResult

MAX_LINKS = 50
"""Links of one result at most (a listing of 500 pods links its first 50)."""
_CALL_ID = re.compile(r"\bt\d+\b")


def result_links(
    result: ToolResult[Any], arguments: Mapping[str, Any], *, cluster: str | None
) -> list[Link]:
    """What a result names; Kubernetes resources in `cluster` (the one the call read)."""
    links: list[Link] = []
    incident = arguments.get("incident_id")
    if result.error is None and isinstance(incident, int) and not isinstance(incident, bool):
        links.append(IncidentLink(incident_id=incident))
    items = result.data if isinstance(result.data, list) else [result.data]
    for item in items:
        links += item_links(item, cluster)
    return unique(links)[:MAX_LINKS]


def kubernetes(kind: str, name: str, *, namespace: str | None = None, cluster: str | None) -> Link:
    """A Kubernetes resource's link."""
    return ResourceLink(
        cloud="kubernetes", kind=kind, namespace=namespace, name=name, cluster=cluster
    )


def _workload_detail(item: WorkloadDetail, cluster: str | None) -> list[Link]:
    pods = [link for pod in item.pods or [] for link in item_links(pod, cluster)]
    return item_links(item.summary, cluster) + pods


def _finding(item: FindingView, cluster: str | None) -> list[Link]:
    where = cluster if item.resource.cloud == "kubernetes" else None
    return [ResourceLink(**item.resource.model_dump(), cluster=where)]


def _triage(item: TriageView, cluster: str | None) -> list[Link]:
    del cluster  # a report names no cluster
    cause = item.report.root_cause if item.report is not None else None
    return [ResourceLink(**cause.model_dump())] if cause is not None else []


_BY_TYPE: list[tuple[type | tuple[type, ...], Callable[[Any, str | None], list[Link]]]] = [
    (
        (PodLine, PodDetail),
        lambda p, c: [kubernetes("Pod", p.name, namespace=p.namespace, cluster=c)],
    ),
    ((NodeLine, NodeDetail), lambda n, c: [kubernetes("Node", n.name, cluster=c)]),
    (WorkloadLine, lambda w, c: [kubernetes(w.kind, w.name, namespace=w.namespace, cluster=c)]),
    (ServiceLine, lambda s, c: [kubernetes("Service", s.name, namespace=s.namespace, cluster=c)]),
    (NamespaceLine, lambda n, c: [kubernetes("Namespace", n.name, cluster=c)]),
    (WorkloadDetail, _workload_detail),
    (FindingView, _finding),
    (IncidentLine, lambda i, _: [IncidentLink(incident_id=i.id)]),
    (
        PastIncident,
        lambda i, _: [IncidentLink(incident_id=int(i.incident))] if i.incident.isdigit() else [],
    ),
    (
        RunbookSection,
        lambda r, _: [RunbookLink(runbook_id=r.runbook, title=r.title, section=r.section)],
    ),
    (TriageView, _triage),
]
"""The links of each kind of item a tool's data holds (IncidentView is an IncidentLine)."""


def item_links(item: object, cluster: str | None) -> list[Link]:
    """The links of one item of a result's data."""
    for types, links in _BY_TYPE:
        if isinstance(item, types):
            return links(item, cluster)
    return []


def unique(links: Iterable[Link]) -> list[Link]:
    """The links in order, each once."""
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.model_dump_json(), link)
    return list(seen.values())


def mentioned(links: Sequence[Link], text: str) -> list[Link]:
    """The links whose incident id, resource name or runbook the text names."""
    return unique(link for link in links if _names(text, link))


def _names(text: str, link: Link) -> bool:
    if isinstance(link, IncidentLink):
        return re.search(rf"(incident\s*#?|#){link.incident_id}\b", text, re.IGNORECASE) is not None
    if isinstance(link, ResourceLink):
        return re.search(rf"(?<![\w.-]){re.escape(link.name)}(?![\w-])", text) is not None
    return link.runbook_id in text or link.title in text


def cited(text: str, call_ids: Iterable[str]) -> list[str]:
    """The call ids of this turn that the text names, in the order it names them."""
    known = set(call_ids)
    return list(dict.fromkeys(c for c in _CALL_ID.findall(text) if c in known))
