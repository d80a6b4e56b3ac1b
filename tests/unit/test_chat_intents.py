"""What the `none` mode understands of a question: the intent, and what it names."""

from __future__ import annotations

import pytest

from agents.chat.intents import Focus, Intent, parse

CLUSTERS = ["lab", "east"]
CASES = [
    ("Which pods in payments restart most?", Intent(kind="pod_restarts", namespace="payments")),
    ("what is wrong with incident 42?", Intent(kind="incident_summary", incident_id=42)),
    ("Summarize incident #7", Intent(kind="incident_summary", incident_id=7)),
    ("which pods are not running in shop?", Intent(kind="failing_pods", namespace="shop")),
    (
        "which pods are failing in the payments namespace?",
        Intent(kind="failing_pods", namespace="payments"),
    ),
    ("pods crashing in cluster east?", Intent(kind="failing_pods", cluster="east")),
    ("anything failing on the west cluster", Intent(kind="failing_pods", cluster="west")),
    ("which nodes are not ready?", Intent(kind="nodes_not_ready")),
    ("are any nodes down in lab?", Intent(kind="nodes_not_ready", cluster="lab")),
    ("what are the open incidents?", Intent(kind="open_incidents")),
    (
        "list critical and warning incidents",
        Intent(kind="open_incidents", severities=("critical", "warning")),
    ),
    ("who is on call?", Intent(kind="on_call")),
    ("Who's on-call tonight", Intent(kind="on_call")),
    ("find a runbook for OOMKilled pods", Intent(kind="runbook", topic="OOMKilled pods")),
    ("how do I fix ImagePullBackOff?", Intent(kind="runbook", topic="ImagePullBackOff")),
    ("runbook for incident 12", Intent(kind="runbook", incident_id=12)),
    (
        "similar past incidents to incident 42",
        Intent(
            kind="similar_incidents", incident_id=42, topic="similar past incidents to incident 42"
        ),
    ),
    (
        "have we seen OOMKilled in payments before?",
        Intent(kind="similar_incidents", topic="have we seen OOMKilled in payments before?"),
    ),
    ("what is wrong in payments?", Intent(kind="namespace_health", namespace="payments")),
    ("what's going on with shop", Intent(kind="namespace_health", namespace="shop")),
    ("check the cluster east", Intent(kind="namespace_health", cluster="east")),
    ("help", Intent(kind="help")),
    ("What can you do?", Intent(kind="help")),
    ("what is the weather like?", Intent(kind="help", recognised=False)),
]


@pytest.mark.parametrize(("question", "intent"), CASES, ids=[c[0] for c in CASES])
def test_questions_are_understood(question: str, intent: Intent) -> None:
    assert parse(question, clusters=CLUSTERS) == intent


def test_a_question_that_refers_back_takes_the_conversations_focus() -> None:
    focus = Focus(namespace="payments", cluster="east", incident_id=42)
    assert parse("which pods restart most there?", clusters=CLUSTERS, focus=focus) == Intent(
        kind="pod_restarts", namespace="payments", cluster="east"
    )
    assert parse("any similar incidents?", focus=focus) == Intent(
        kind="similar_incidents", incident_id=42
    )
    assert parse("is there a runbook for it?", focus=focus) == Intent(
        kind="runbook", incident_id=42
    )
    # Without a word that refers back, a question is about everything.
    assert parse("which pods restart most?", focus=focus) == Intent(kind="pod_restarts")
    assert Focus.load(focus.dump()) == focus and Focus.load(None) == Focus()
