"""Triage with a scripted model, end to end: lab fault → webhook → incident → worker → the
supervisor and its kubernetes specialist → a checked report, stored with its model usage."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import AIMessage

from agents.budget import Budget
from agents.llm import ScriptedChatModel
from agents.supervisor import ModelInvestigator
from tests.integration.conftest import Api
from tests.integration.test_triage_none import triaged_incidents
from tests.unit.supervisor_lab import USAGE, call, say

API = {"cloud": "kubernetes", "kind": "Deployment", "namespace": "payments", "name": "api"}
SET_MEMORY = {
    "action": "kubernetes.set_memory_limit",
    "params": {"namespace": "payments", "deployment": "api", "memory_limit": "512Mi"},
}


def script() -> list[AIMessage]:
    """Ask the kubernetes specialist, which lists the pods; submit citing the analyzers (t1)."""
    return [
        call("ask_kubernetes", question="Are the payments/api pods OOMKilled?"),
        call("k8s_list_pods", namespace="payments", status="unhealthy"),
        say("Yes: the api pods last ended OOMKilled, exit 137."),
        call(
            "submit_report",
            root_cause=API,
            category="resource.memory",
            confidence=0.9,
            summary="payments/api is OOMKilled at its 256Mi memory limit.",
            evidence=[
                {"call_id": "t1", "summary": "OOMKilled", "excerpt": "OOMKilled (exit code 137)"}
            ],
            recommended_actions=[SET_MEMORY],
        ),
    ]


def test_a_scripted_investigation_is_stored_with_its_mode_calls_and_tokens(
    database_url: str, api: Api, tmp_path: Path
) -> None:
    models: list[ScriptedChatModel] = []

    def investigator() -> ModelInvestigator:
        models.append(ScriptedChatModel(script=script()))
        return ModelInvestigator(models[-1], budget=Budget(max_tool_calls=10), mode="scripted")

    runs = triaged_incidents(database_url, api, "k8s.oom_kill", tmp_path, investigator=investigator)

    assert runs and len(models) == len(runs)
    assert all(m.remaining == 0 for m in models)
    for triaged in runs:
        assert triaged["status"] == "succeeded", triaged
        assert triaged["mode"] == "scripted" and triaged["llm_calls"] == 4
        assert triaged["tokens_in"] == 4 * USAGE["input_tokens"]
        assert triaged["tokens_out"] == 4 * USAGE["output_tokens"]
        report = triaged["report"]
        assert report["mode"] == "scripted" and report["status"] == "determined"
        assert report["root_cause"] == API and report["category"] == "resource.memory"
        assert [(e["call_id"], e["tool"]) for e in report["evidence"]] == [("t1", "k8s_analyze")]
        assert report["recommended_actions"] == [{**SET_MEMORY, "reason": ""}]
        tools = [c["tool"] for c in triaged["tool_calls"]]
        # The analyzers, the memory's runbooks and past incidents, then the specialist's call.
        assert tools == ["k8s_analyze", "runbook_search", "similar_incidents", "k8s_list_pods"]
        assert triaged["report"]["runbooks"][0]["runbook_id"] == "k8s-oom-killed"
        assert {c["kind"] for c in triaged["tool_calls"]} == {"read"}
        assert {c["status"] for c in triaged["tool_calls"]} <= {"ok", "no_data"}
