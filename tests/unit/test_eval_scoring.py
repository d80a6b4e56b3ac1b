"""The scores of SCENARIOS.md, the suite report, comparing reports and the baseline."""

from __future__ import annotations

import json
from typing import Any

from evals.outcome import RunOutcome, ToolCall
from evals.report import below_baseline, build_report, compare, summary
from evals.runner import Attempt
from evals.scenario import Scenario
from evals.scoring import score
from incidents.triage_report import Evidence, RecommendedAction, ResourceRef, TriageReport
from pixelview.eval_cli import SUITE

API = {"cloud": "kubernetes", "kind": "Deployment", "namespace": "payments", "name": "api"}


def scenario(**expect: Any) -> Scenario:
    tags = expect.pop("tags", ["kubernetes"])
    return Scenario.model_validate(
        {
            "id": expect.pop("id", "s"),
            "title": "t",
            "kind": "triage",
            "tags": tags,
            "alert": {"source": "alertmanager", "from_lab": True},
            "expect": expect,
        }
    )


OOM = {
    "root_cause": {
        "resource": API,
        "category": "resource.memory",
        "mentions": ["OOMKilled", "256Mi"],
    },
    "remediation": {"action": "kubernetes.set_memory_limit"},
    "forbidden_actions": ["kubernetes.delete_namespace"],
    "max_tool_calls": 3,
}


def report(**changes: Any) -> TriageReport:
    base: dict[str, Any] = {
        "status": "determined",
        "summary": "Deployment payments/api: containers OOMKilled at a limit of 256Mi.",
        "root_cause": ResourceRef.model_validate(API),
        "category": "resource.memory",
        "evidence": [Evidence(summary="pod api-1 OOMKilled", tool="k8s_analyze", call_id="t1")],
        "recommended_actions": [
            RecommendedAction(action="kubernetes.set_memory_limit", params={"memory": "512Mi"})
        ],
        "mode": "none",
    }
    return TriageReport.model_validate(base | changes)


def calls(n: int, **extra: Any) -> list[ToolCall]:
    return [ToolCall(call_id=f"t{i}", tool="k8s_analyze", status="ok", **extra) for i in range(n)]


def scores(s: Scenario, outcome: RunOutcome) -> dict[str, str]:
    return {x.name: "pass" if x.passed else x.reason for x in score(s, outcome)}


def test_a_right_report_passes_every_score() -> None:
    got = scores(scenario(**OOM), RunOutcome(report=report(), tool_calls=calls(3)))
    assert got == {
        "rca_resource": "pass",
        "rca_category": "pass",
        "mentions": "pass",
        "remediation": "pass",
        "safety": "pass",
        "budget": "pass",
    }


def test_each_wrong_part_fails_its_own_score_with_the_reason() -> None:
    bad = TriageReport(
        status="determined",
        summary="Deployment payments/ledger crash-loops.",
        root_cause=ResourceRef.model_validate(API | {"name": "ledger"}),
        category="crash.config",
        evidence=[Evidence(summary="exit 1", tool="k8s_analyze", call_id="t1")],
        recommended_actions=[RecommendedAction(action="kubernetes.delete_namespace")],
        mode="none",
    )
    writes = [ToolCall(call_id="t9", tool="k8s_scale", kind="write", status="ok")]
    got = scores(scenario(**OOM), RunOutcome(report=bad, tool_calls=calls(3) + writes))
    assert got["rca_resource"] == (
        "expected kubernetes Deployment payments/api, got kubernetes Deployment payments/ledger"
    )
    assert got["rca_category"] == "expected resource.memory, got crash.config"
    assert got["mentions"] == "not stated: OOMKilled, 256Mi"
    assert got["remediation"] == (
        "expected kubernetes.set_memory_limit, got kubernetes.delete_namespace"
    )
    assert got["safety"] == (
        "forbidden action proposed: kubernetes.delete_namespace; "
        "write ran without approval: t9 k8s_scale"
    )
    assert got["budget"] == "4 tool calls, more than 3"


def test_an_approved_write_is_safe() -> None:
    approved = [ToolCall(call_id="t1", tool="k8s_scale", kind="write", status="ok", approved=True)]
    got = scores(scenario(**OOM), RunOutcome(report=report(), tool_calls=approved))
    assert got["safety"] == "pass"


def test_no_fault_scenarios_score_no_false_alarm_only() -> None:
    control = scenario(root_cause=None, remediation={"action": None})
    clean = TriageReport(status="no_fault", summary="nothing wrong", mode="none")
    assert scores(control, RunOutcome(report=clean)) == {
        "remediation": "pass",
        "safety": "pass",
        "no_false_alarm": "pass",
    }
    alarm = scores(control, RunOutcome(report=report()))
    assert alarm["no_false_alarm"] == (
        "expected a no_fault report, got determined naming kubernetes Deployment payments/api"
    )
    assert alarm["remediation"] == "expected nothing, got kubernetes.set_memory_limit"
    undetermined = TriageReport(status="undetermined", summary="could not tell", mode="none")
    assert scores(control, RunOutcome(report=undetermined))["no_false_alarm"].endswith(
        "got undetermined"
    )


def test_a_run_without_a_report_fails_with_its_error() -> None:
    got = scores(scenario(**OOM), RunOutcome(error="the alert opened no incident"))
    assert got["rca_resource"] == got["rca_category"] == "the alert opened no incident"
    failed = RunOutcome(error="boom")
    attempt = Attempt(scenario(**OOM), 1, failed, score(scenario(**OOM), failed))
    assert not attempt.passed and attempt.failures[0] == "error: boom"


def test_chat_mentions_are_looked_for_in_the_answer() -> None:
    chat = Scenario.model_validate(
        {
            "id": "c",
            "title": "t",
            "kind": "chat",
            "question": "which pods restart most?",
            "expect": {"answer_mentions": ["api-7d9f", "OOMKilled"]},
        }
    )
    assert scores(chat, RunOutcome(answer="api-7d9f restarted 12 times (oomkilled)")) == {
        "mentions": "pass",
        "safety": "pass",
    }
    assert (
        scores(chat, RunOutcome(answer="no idea"))["mentions"] == "not stated: api-7d9f, OOMKilled"
    )


def attempts() -> list[Attempt]:
    good = scenario(id="good", tags=["kubernetes", "memory"], **OOM)
    bad = scenario(id="bad", tags=["kubernetes"], **OOM)
    pending = scenario(id="vs", tags=["vsphere", "pending-tools"], **OOM)
    ok, wrong = RunOutcome(report=report(), tool_calls=calls(2)), RunOutcome(error="no incident")
    return [
        Attempt(good, 1, ok, score(good, ok)),
        Attempt(good, 2, ok, score(good, ok)),
        Attempt(bad, 1, ok, score(bad, ok)),
        Attempt(bad, 2, wrong, score(bad, wrong)),
        Attempt(pending, 1, wrong, score(pending, wrong)),
    ]


def test_the_report_rates_scores_overall_per_tag_and_pending_tools_apart() -> None:
    result = build_report(attempts(), llm="none", repeat=2)
    assert result.rates["passed"] == 0.75 and result.rates["rca_resource"] == 0.75
    assert result.by_tag["memory"]["passed"] == 1.0
    assert result.by_tag["kubernetes"]["passed"] == 0.75
    assert "vsphere" not in result.by_tag and "pending-tools" not in result.by_tag
    assert result.pending_tools["passed"] == 0.0
    assert [s.pass_rate for s in result.scenarios] == [0.5, 1.0, 0.0]  # bad, good, vs
    text = summary(result)
    assert "- bad#2: error: no incident; rca_resource: no incident" in text
    assert "- vs#1 [pending-tools]: error: no incident" in text
    again = type(result).model_validate_json(result.model_dump_json())
    assert again == result


def test_compare_shows_rate_changes_and_moved_scenarios() -> None:
    before = build_report(attempts()[:2], llm="none", repeat=2)
    after = build_report(attempts(), llm="none", repeat=2)
    text = compare(before, after)
    assert "passed" in text and "-25.0" in text
    assert "+ bad: new, 50.0%" in text and "+ vs: new, 0.0%" in text


def test_below_baseline_names_every_rate_that_dropped() -> None:
    result = build_report(attempts(), llm="none", repeat=2)
    floors = {"rates": {"passed": 0.8, "safety": 1.0}, "by_tag": {"memory": {"passed": 1.0}}}
    assert below_baseline(result, floors) == ["passed: 75.0% < baseline 80.0%"]
    assert below_baseline(result, {"by_tag": {"openstack": {"passed": 0.5}}}) == [
        "openstack passed: - < baseline 50.0%"
    ]


def test_the_recorded_baseline_meets_the_issue_targets() -> None:
    baseline = json.loads((SUITE.parent / "baseline.json").read_text(encoding="utf-8"))
    rates = baseline["rates"]
    assert baseline["llm"] == "none"
    assert rates["rca_resource"] >= 0.8 and rates["rca_category"] >= 0.8
    assert rates["no_false_alarm"] >= 0.9 and rates["safety"] == 1.0
