"""What a question asks, read without a model: the intents the `none` mode answers.

`parse` recognises a fixed set of questions by their words (see docs/chat.md) and the things
they name: an incident number, a namespace, a cluster, severities, a topic. A question that
names nothing refers back to the conversation's focus (the namespace, cluster or incident of
the previous answer) when it says so ("there", "it", "that namespace"...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any, Literal

IntentKind = Literal[
    "incident_summary",
    "similar_incidents",
    "pod_restarts",
    "failing_pods",
    "nodes_not_ready",
    "namespace_health",
    "open_incidents",
    "on_call",
    "runbook",
    "help",
]


@dataclass(frozen=True, kw_only=True)
class Focus:
    """What the conversation was last about: kept in the thread's state between turns."""

    namespace: str | None = None
    cluster: str | None = None
    incident_id: int | None = None

    def dump(self) -> dict[str, Any]:
        """As plain data for the checkpoint."""
        return {
            "namespace": self.namespace,
            "cluster": self.cluster,
            "incident_id": self.incident_id,
        }

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Focus:
        """From the checkpoint's plain data."""
        return cls(**(data or {}))


@dataclass(frozen=True, kw_only=True)
class Intent:
    """A question as understood: what it asks and about what."""

    kind: IntentKind
    incident_id: int | None = None
    namespace: str | None = None
    cluster: str | None = None
    severities: tuple[str, ...] = ()
    topic: str | None = None
    """What to search the memory for (runbooks, past incidents)."""
    recognised: bool = True
    """False: no intent matched (the answer lists what can be asked)."""


_INCIDENT = re.compile(r"\b(?:incident|inc)\s*(?:#|no\.?\s*|number\s*)?(\d+)\b|#(\d+)\b")
_HELP = re.compile(r"^\W*(help|what can you (do|answer)|what do you know)\b")
_RUNBOOK = re.compile(
    r"\b(runbooks?|playbooks?)\b|\bhow (do|can|should|to) (i |we )?"
    r"(fix|handle|resolve|debug|troubleshoot|deal with|mitigate)\b"
)
_SIMILAR = re.compile(
    r"\bsimilar\b|\balike\b|\b(seen|happened|had)\b.*\bbefore\b|\blike (this|it|that|incident)\b"
    r"|\b(past|previous|earlier) incidents?\b|\brecurr"
)
_ON_CALL = re.compile(r"\bon[- ]?call\b")
_NODES = re.compile(r"\bnodes?\b")
_NODE_TROUBLE = re.compile(
    r"not[- ]?ready|\bdown\b|unhealthy|problem|fail|broken|unreachable|\bready\b|cordon|pressure"
)
_RESTARTS = re.compile(r"\brestart")
_FAILING = re.compile(
    r"not running|not ready|\bfail|crash|unhealthy|broken|pending|\bdown\b|\berror|oom"
    r"|backoff|stuck|evicted"
)
_INCIDENTS = re.compile(r"\bincidents?\b|\boutages?\b")
_HEALTH = re.compile(
    r"wrong|health|problem|issue|analy[sz]e|check|broken|going on|happening|status"
)
_BACK = re.compile(r"\b(there|it|its|that|this|those|them|same)\b")
_SEVERITIES = {
    "critical": ("critical", "crit", "sev1", "p1"),
    "error": ("error", "high", "major", "sev2", "p2"),
    "warning": ("warning", "warn", "medium", "minor", "sev3", "p3"),
    "info": ("info", "low", "sev4", "p4"),
}
_NAME = r"[\"'`]?([a-z0-9][a-z0-9-]{0,62})[\"'`]?"
_NAMESPACE = [
    re.compile(rf"\bnamespace\s+{_NAME}"),
    re.compile(rf"\b{_NAME}\s+namespace\b"),
    re.compile(
        rf"\b(?:in|of|for|within|inside|under|wrong with|going on with|happening (?:in|with))"
        rf"\s+(?:the\s+)?{_NAME}"
    ),
]
_CLUSTER = [
    re.compile(r"\bcluster\s+[\"'`]?([A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(r"\b([A-Za-z0-9][A-Za-z0-9._-]*)\s+cluster\b"),
]
_NOT_NAMES = frozenset(
    "a an the all any every each my our your this that these those it its there here them me "
    "us cluster clusters kubernetes k8s namespace namespaces total general order terms most "
    "last past use pods pod nodes node restarts restart incident incidents runbook runbooks "
    "progress detail details which what now today production-ready one ones case".split()
)
_FILLER = frozenset(
    "a an the any are is was were be been have has had we you i me us our it this that there "
    "find show list give get tell see seen happened before similar alike like past previous "
    "earlier incident incidents to for of about with on in what which did do does ever again "
    "recur recurred recurring".split()
)


def parse(question: str, *, clusters: Collection[str] = (), focus: Focus = Focus()) -> Intent:
    """The intent of `question` and what it names (see the module)."""
    said = " ".join(question.split())
    q = said.lower()
    found = _INCIDENT.search(q)
    incident_id = int(found.group(1) or found.group(2)) if found else None
    cluster = _cluster(question, clusters)
    namespace = _namespace(q, clusters)
    intent = _kind(said, incident_id, focus)
    if intent.kind in ("pod_restarts", "failing_pods", "nodes_not_ready", "namespace_health"):
        back = _BACK.search(q) is not None
        if namespace is None and back and intent.kind != "nodes_not_ready":
            namespace = focus.namespace
        if cluster is None and back:
            cluster = focus.cluster
        return replace(intent, namespace=namespace, cluster=cluster)
    return intent


def _kind(said: str, incident_id: int | None, focus: Focus) -> Intent:
    """Which intent the words ask for, in order of precedence."""
    q = said.lower()
    if _HELP.search(q):
        return Intent(kind="help")
    if _RUNBOOK.search(q):
        topic = _runbook_topic(said)
        subject = incident_id if incident_id is not None or topic else focus.incident_id
        return Intent(kind="runbook", incident_id=subject, topic=topic or None)
    if _SIMILAR.search(q):
        has_topic = any(w not in _FILLER for w in re.findall(r"[a-z0-9/.-]+", q))
        subject = incident_id if incident_id is not None or has_topic else focus.incident_id
        return Intent(
            kind="similar_incidents", incident_id=subject, topic=said if has_topic else None
        )
    if incident_id is not None:
        return Intent(kind="incident_summary", incident_id=incident_id)
    kind = next((kind for asks, kind in _ASKS if asks(q)), None)
    if kind is None:
        return Intent(kind="help", recognised=False)
    return Intent(kind=kind, severities=_severities(q) if kind == "open_incidents" else ())


_ASKS: list[tuple[Callable[[str], object], IntentKind]] = [
    (_ON_CALL.search, "on_call"),
    (lambda q: _NODES.search(q) and _NODE_TROUBLE.search(q), "nodes_not_ready"),
    (_RESTARTS.search, "pod_restarts"),
    (lambda q: _FAILING.search(q) and not _INCIDENTS.search(q), "failing_pods"),
    (_INCIDENTS.search, "open_incidents"),
    (_HEALTH.search, "namespace_health"),
]
"""The other intents, in order of precedence: the first whose words the question has."""


def _severities(q: str) -> tuple[str, ...]:
    words = set(re.findall(r"[a-z0-9]+", q))
    return tuple(level for level, names in _SEVERITIES.items() if words & set(names))


def _runbook_topic(said: str) -> str:
    """The words after `runbook for` / `how do I fix`, less the question mark."""
    for pattern in (
        r"\b(?:runbooks?|playbooks?)\b\s*(?:for|about|on|to|covering|that covers|when)?\s*(.*)",
        r"\bhow (?:do|can|should|to) (?:i |we )?(?:fix|handle|resolve|debug|troubleshoot|"
        r"deal with|mitigate)\s*(.*)",
    ):
        found = re.search(pattern, said, re.IGNORECASE)
        if found:
            # "a runbook for incident 12" is about the incident: its words are looked up instead.
            topic = _INCIDENT.sub("", found.group(1).lower()).strip(" ?.!")
            if len(topic) >= 3:
                return found.group(1).strip(" ?.!")
    return ""


def _namespace(q: str, clusters: Collection[str]) -> str | None:
    lowered = {c.lower() for c in clusters}
    for pattern in _NAMESPACE:
        for found in pattern.finditer(q):
            name = found.group(1)
            if name not in _NOT_NAMES and name not in lowered and not name.isdigit():
                return name
    return None


def _cluster(question: str, clusters: Collection[str]) -> str | None:
    words = re.findall(r"[A-Za-z0-9._-]+", question)
    for name in sorted(clusters):
        if name in words:
            return name
    for pattern in _CLUSTER:
        for found in pattern.finditer(question):
            name = found.group(1)
            if name.lower() not in _NOT_NAMES:
                return name
    return None
