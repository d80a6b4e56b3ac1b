"""The Slack bot's Block Kit messages: buttons by status, escaping, limits, the step trace."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from api.slack.blocks import (
    TRACE_LINES,
    answer_message,
    incident_message,
    trace_text,
    triage_message,
)
from api.slack.cards import IncidentCard, TriageCard
from api.slack.chat import ChatAnswer
from incidents.triage_report import (
    Evidence,
    RecommendedAction,
    ResourceRef,
    RunbookCitation,
    SimilarIncident,
    TriageReport,
)

CARD = IncidentCard(
    id=42,
    title="Disk  full on <!channel> db-1",
    severity="critical",
    status="triggered",
    service="storage",
    integration="prometheus",
    opened_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    acknowledged_by=None,
    resolved_by=None,
    url="https://pv.example.com/api/v1/incidents/42",
)


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("triggered", ["acknowledge", "resolve", "triage", "open"]),
        ("acknowledged", ["resolve", "triage", "open"]),
        ("in_progress", ["resolve", "triage", "open"]),
        ("resolved", ["triage", "open"]),
    ],
)
def test_the_buttons_follow_the_status(status: str, expected: list[str]) -> None:
    text, blocks = incident_message(replace(CARD, status=status))
    assert buttons(blocks) == [f"pixelview.{name}" for name in expected]
    assert text.endswith(f"({status.replace('_', ' ')})")
    values = {e.get("value") for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert values == {"42", None}  # the link button has a URL instead


def test_outside_text_is_escaped_and_the_link_only_with_a_public_url() -> None:
    text, blocks = incident_message(replace(CARD, url=None, acknowledged_by="Ada <ada@x>"))
    assert text == "[CRITICAL] #42 Disk full on &lt;!channel&gt; db-1 (triggered)"
    assert blocks[0]["text"]["type"] == "plain_text"  # a header shows text, never a mention
    shown = json.dumps(blocks)
    assert "Ada &lt;ada@x&gt;" in shown and "pixelview.open" not in shown
    assert (
        blocks[-1]["elements"][0]["text"] == "PixelView incident #42 · opened 2026-11-22 10:00 UTC"
    )


def test_a_long_title_is_clipped_to_the_header_limit() -> None:
    _, blocks = incident_message(replace(CARD, title="x" * 400))
    assert len(blocks[0]["text"]["text"]) == 150 and blocks[0]["text"]["text"].endswith("…")


REPORT = TriageReport(
    status="determined",
    summary="The memory limit of payments/api was cut; its pods are OOMKilled.",
    root_cause=ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api"),
    category="resource.memory",
    confidence=0.9,
    evidence=[
        Evidence(summary=f"fact {n}", tool="k8s_describe_pod", call_id=f"t{n}") for n in range(7)
    ],
    recommended_actions=[
        RecommendedAction(action="kubernetes.set_memory_limit", reason="back to 512Mi")
    ],
    runbooks=[
        RunbookCitation(
            runbook_id="oom",
            title="OOMKilled pods",
            section="Raise the limit",
            score=0.8,
            call_id="t8",
        )
    ],
    similar_incidents=[
        SimilarIncident(incident_id="7", summary="api OOM last week", score=0.7, call_id="t9")
    ],
    flags=["untrusted_instruction"],
    mode="none",
)


def test_a_report_shows_its_cause_evidence_actions_and_links() -> None:
    card = TriageCard(
        run_id=3,
        incident_id=42,
        requested_by="Ada",
        report=REPORT,
        error=None,
        base_url="https://pv.example.com",
    )
    text, blocks = triage_message(card)
    assert text == f"Triage of incident #42: {REPORT.summary}"
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "*Triage* · determined · confidence 90% · mode none" in shown
    assert "*Root cause*: Deployment payments/api (resource.memory)" in shown
    assert "fact 4" in shown and "fact 5" not in shown  # five pieces of evidence at most
    assert "`kubernetes.set_memory_limit`: back to 512Mi" in shown
    assert (
        "<https://pv.example.com/api/v1/runbooks/oom#raise-the-limit|OOMKilled pods: Raise" in shown
    )
    assert "<https://pv.example.com/api/v1/incidents/7|#7> api OOM last week" in shown
    assert "Triage run 3 · requested by Ada · ⚠ untrusted_instruction" in shown


def test_a_failed_run_says_why() -> None:
    card = TriageCard(
        run_id=3,
        incident_id=42,
        requested_by="PixelView",
        report=None,
        error="kubernetes lab: <unreachable>",
        base_url=None,
    )
    text, blocks = triage_message(card)
    assert text == "Triage run 3 of incident #42 failed: kubernetes lab: &lt;unreachable&gt;"
    assert len(blocks) == 1


def test_an_answer_is_escaped_split_and_followed_by_its_trace() -> None:
    long = "\n".join(f"line {n} <@U1>" for n in range(400))
    trace = [f"t{n} k8s_list_pods(namespace=payments) → ok: {n} pods" for n in range(20)]
    text, blocks = answer_message(ChatAnswer(text=long, trace=trace, mode="none"))
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert "<@U1>" not in json.dumps(blocks) and len(text) <= 3000
    footer = blocks[-1]["elements"][0]["text"]
    assert footer.startswith("mode none · Steps:\nt0 k8s_list_pods(namespace=payments) → ok: 0")
    assert footer.endswith(f"… {20 - TRACE_LINES} more steps")


def test_no_trace_without_steps() -> None:
    assert trace_text([]) == ""
    _, blocks = answer_message(ChatAnswer(text="Nothing is open."))
    assert [b["type"] for b in blocks] == ["section"]
