"""Answers about the clusters without a model: restarts, failing pods, nodes, the checks.

Each answer reads the named cluster, or every configured cluster when the question names
none, through the same read tools a model would call, and cites each call.
"""

from __future__ import annotations

from typing import Any

from agents.chat.calls import StepTools
from agents.chat.intents import Focus, Intent
from agents.chat.links import item_links, kubernetes
from agents.chat.reply import Draft, Reply, each_cluster, scope
from tools.analyzers.tool import FindingView, k8s_analyze
from tools.kubernetes.cluster import k8s_list_nodes
from tools.kubernetes.pods import k8s_list_pods
from tools.kubernetes.views import NodeLine, PodLine
from tools.result import ToolResult

TOP = 5
"""Pods, nodes or findings an answer lists at most."""


def _named(cluster: str | None) -> str:
    return f"cluster {cluster}" if cluster else "the cluster"


def _focus(intent: Intent) -> Focus:
    return Focus(namespace=intent.namespace, cluster=intent.cluster)


def _pod(pod: PodLine, cluster: str | None, several: bool) -> str:
    where = f" (cluster {cluster})" if several and cluster else ""
    return f"{pod.namespace}/{pod.name}{where}"


def _namespaced(intent: Intent) -> dict[str, Any]:
    return {"namespace": intent.namespace} if intent.namespace else {}


async def pod_restarts(intent: Intent, tools: StepTools) -> Reply:
    """The pods of a namespace (or all) that restarted most."""
    draft = Draft()
    results = await each_cluster(tools, k8s_list_pods, _namespaced(intent), intent.cluster)
    several = len(results) > 1
    found: list[tuple[PodLine, str | None, ToolResult[Any]]] = []
    for cluster, result in results:
        if not draft.failed(result, f"the pods of {_named(cluster)}"):
            found += [(pod, cluster, result) for pod in result.data or []]
    where = scope(intent.namespace, [c for c, _ in results])
    ranked = sorted((f for f in found if f[0].restarts > 0), key=lambda f: -f[0].restarts)
    read = [r for _, r in results if r.error is None]
    if not ranked:
        if read:
            draft.add(f"No pod in {where} has restarted ({len(found)} pods).", source=read[0])
        return draft.reply(_focus(intent))
    # One cluster: the heading cites its call; several: each line cites its cluster's.
    draft.add(f"The pods that restart most in {where}:", source=None if several else read[0])
    for pod, cluster, result in ranked[:TOP]:
        details = [f"{pod.restarts} restarts", f"{pod.phase} {pod.ready} ready"]
        details += [pod.reason] if pod.reason else []
        details += [f"last ended {pod.last_exit}"] if pod.last_exit else []
        draft.add(
            f"- {_pod(pod, cluster, several)}: {', '.join(details)}",
            source=result if several else None,
            links=item_links(pod, cluster or tools.cluster_of({})),
        )
    if len(ranked) > TOP:
        draft.add(f"({len(ranked) - TOP} more pods restarted less.)")
    return draft.reply(_focus(intent))


async def failing_pods(intent: Intent, tools: StepTools) -> Reply:
    """The pods of a namespace (or all) not running or not ready, and the likely cause."""
    draft = Draft()
    arguments = _namespaced(intent) | {"status": "unhealthy"}
    results = await each_cluster(tools, k8s_list_pods, arguments, intent.cluster)
    several = len(results) > 1
    failing: list[str | None] = []
    for cluster, result in results:
        if draft.failed(result, f"the pods of {_named(cluster)}"):
            continue
        pods: list[PodLine] = list(result.data or [])
        if not pods:
            where = scope(intent.namespace, [cluster])
            draft.add(f"Every pod in {where} is running and ready.", source=result)
            continue
        failing.append(cluster)
        draft.add(
            f"{len(pods)} pods in {scope(intent.namespace, [cluster])} are not running "
            "or not ready:",
            source=result,
        )
        for pod in pods[:TOP]:
            state = ", ".join(x for x in (pod.reason, f"{pod.restarts} restarts") if x)
            ended = f"; last ended {pod.last_exit}" if pod.last_exit else ""
            draft.add(
                f"- {_pod(pod, cluster, several)}: {pod.phase} {pod.ready} ready, {state}{ended}",
                links=item_links(pod, cluster or tools.cluster_of({})),
            )
        if len(pods) > TOP:
            draft.add(f"({len(pods) - TOP} more.)")
    for cluster in failing:
        await _likely_cause(intent, cluster, tools, draft)
    return draft.reply(_focus(intent))


async def _likely_cause(
    intent: Intent, cluster: str | None, tools: StepTools, draft: Draft
) -> None:
    arguments = _namespaced(intent) | ({"cluster": cluster} if cluster else {})
    result = await tools.run(k8s_analyze, arguments)
    findings: list[FindingView] = list(result.data or [])
    if findings:
        best = findings[0]
        draft.add(
            f"Likely cause ({best.category}): {best.summary}.",
            source=result,
            links=item_links(best, cluster or tools.cluster_of({})),
        )


async def nodes_not_ready(intent: Intent, tools: StepTools) -> Reply:
    """The nodes that are not Ready, and those Ready with a problem."""
    draft = Draft()
    results = await each_cluster(tools, k8s_list_nodes, {"problems_only": True}, intent.cluster)
    several = len(results) > 1
    for cluster, result in results:
        if draft.failed(result, f"the nodes of {_named(cluster)}"):
            continue
        nodes: list[NodeLine] = list(result.data or [])
        where = f" in cluster {cluster}" if several and cluster else ""
        down = [n for n in nodes if n.status.startswith("NotReady")]
        troubled = [n for n in nodes if not n.status.startswith("NotReady")]
        if not down:
            draft.add(f"Every node{where} is Ready.", source=result)
        else:
            draft.add(f"{len(down)} node(s){where} not Ready:", source=result)
        for node in [*down, *troubled][:TOP]:
            problems = "; ".join(node.problems or []) or "no condition set"
            cordoned = ", cordoned" if "SchedulingDisabled" in node.status else ""
            draft.add(
                f"- {node.name}: {node.status.split(',')[0]}{cordoned} ({problems})",
                links=[kubernetes("Node", node.name, cluster=cluster or tools.cluster_of({}))],
            )
    return draft.reply(Focus(cluster=intent.cluster))


async def namespace_health(intent: Intent, tools: StepTools) -> Reply:
    """What PixelView's checks find in a namespace (or a whole cluster)."""
    draft = Draft()
    results = await each_cluster(tools, k8s_analyze, _namespaced(intent), intent.cluster)
    for cluster, result in results:
        where = scope(intent.namespace, [cluster])
        if draft.failed(result, _named(cluster)):
            continue
        findings: list[FindingView] = list(result.data or [])
        if not findings:
            draft.add(f"PixelView's checks found no problem in {where}.", source=result)
            continue
        draft.add(f"In {where}, PixelView's checks found (likeliest cause first):", source=result)
        for finding in findings[:TOP]:
            action = (
                f" Proposed: {finding.proposed_action.action}." if finding.proposed_action else ""
            )
            draft.add(
                f"- {finding.category}: {finding.summary} ({finding.affected} affected).{action}",
                links=item_links(finding, cluster or tools.cluster_of({})),
            )
            for line in telling_evidence(finding):
                draft.add(f"  evidence: {line}")
    return draft.reply(_focus(intent))


EVIDENCE_CHARS = 240


def telling_evidence(finding: FindingView) -> list[str]:
    """What shows the finding: its first evidence line, and the first that reports an error.

    (A fatal log line, an error message; each cut to a readable length.)
    """
    if not finding.evidence:
        return []
    lines = [finding.evidence[0]]
    error = next(
        (e for e in finding.evidence[1:] if any(w in e.lower() for w in ("fatal", "error"))),
        None,
    )
    if error is not None:
        lines.append(error)
    return [
        line if len(line) <= EVIDENCE_CHARS else line[: EVIDENCE_CHARS - 3] + "..."
        for line in lines
    ]
