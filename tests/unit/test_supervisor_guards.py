"""The guards around the model: checked submissions, duplicates, unknown tools, steps, loops,
budgets. Each is enforced by the loop or the investigator, whatever the script says."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from agents.budget import Budget
from agents.loop import LoopLimits
from agents.supervisor import TeamLimits
from agents.supervisor.investigator import BUDGET_EXCEEDED, LOOP_DETECTED, MAX_STEPS
from incidents.triage_report import ResourceRef
from tests.unit.lab_tools import oom_world
from tests.unit.supervisor_lab import call, calls, faulty_world, pod_of, say, triage
from tests.unit.supervisor_lab import submit as submit_report

API = ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api")
LABELS = {"alertname": "KubePodCrashLooping", "namespace": "payments", "deployment": "api"}
OOM_T1 = "last terminated OOMKilled (exit code 137)"
"""Words of the analyzers' finding (call t1) in the OOM lab."""


def submit(*evidence: tuple[str, str]) -> AIMessage:
    return submit_report(API, "resource.memory", *evidence)


def test_a_report_citing_a_call_that_does_not_exist_is_refused_and_the_correction_accepted() -> (
    None
):
    script = [
        submit(("t9", "OOMKilled"), ("t1", "memory limit 999Gi")),
        submit(),
        submit(("t1", OOM_T1)),
    ]
    run = triage(oom_world(), script, labels=LABELS)

    first, second = [m for m in run.tool_messages() if m.name == "submit_report"][:2]
    assert first.status == "error" and "report refused" in str(first.content)
    assert "evidence 1: there is no call t9 (the calls: t1)" in str(first.content)
    assert "evidence 2: the excerpt is not in the output of t1 (k8s_analyze)" in str(first.content)
    assert "a determined root cause needs evidence" in str(second.content)
    report = run.report
    assert report.status == "determined" and report.root_cause == API
    assert [(e.call_id, e.tool, e.excerpt) for e in report.evidence] == [
        ("t1", "k8s_analyze", OOM_T1)
    ]
    assert report.flags == []


def test_a_repeated_call_is_not_run_again_and_an_unknown_tool_is_answered_with_the_tools() -> None:
    world = oom_world()
    pod = pod_of(world, "payments", "api")
    script = [
        call("ask_kubernetes", question="What state are the payments pods in?"),
        call("k8s_list_pods", namespace="payments"),
        calls(
            ("k8s_list_pods", {"namespace": "payments"}),
            ("kubectl_delete", {"namespace": "payments"}),
        ),
        call("k8s_describe_pod", namespace="payments", pod=pod),
        say("OOMKilled [t2]."),
        submit(("t2", "OOMKilled, exit 137")),
    ]
    run = triage(world, script, labels=LABELS)

    assert run.tools == ["k8s_analyze", "k8s_list_pods", "k8s_describe_pod"]
    answers = {m.tool_call_id: m for m in run.tool_messages()}
    repeated, unknown = (answers[c["id"] or ""] for c in script[2].tool_calls)
    assert repeated.status == unknown.status == "error"
    said, refused = str(repeated.content), str(unknown.content)
    assert "not run: k8s_list_pods was already called with these arguments" in said
    assert "(t2)" in said
    assert "there is no tool named 'kubectl_delete'; the tools are: k8s_analyze," in refused
    assert "k8s_pod_logs" in refused
    assert run.report.root_cause == API and run.report.flags == []


def test_the_step_limit_ends_the_run_with_the_analyzers_report() -> None:
    script = [
        call("ask_kubernetes", question="Which pods restart?"),
        say("The api pods."),
        call("ask_kubernetes", question="Why?"),
        say("Memory."),
    ]
    limits = TeamLimits(supervisor=LoopLimits(max_steps=2))
    run = triage(oom_world(), script, labels=LABELS, limits=limits)

    report = run.report
    assert report.status == "determined" and report.root_cause == API
    assert report.mode == "scripted" and [e.call_id for e in report.evidence][:1] == ["t1"]
    assert report.flags == [MAX_STEPS]
    assert (
        "reached its step limit without a report that checks out; this is the analyzers' "
        "report" in report.summary
    )


def test_a_cycling_specialist_and_a_supervisor_that_never_submits_are_stopped() -> None:
    world = faulty_world(None)
    script = [
        call("ask_kubernetes", question="Anything wrong in payments?"),
        call("k8s_list_pods", namespace="payments"),
        call("k8s_list_nodes"),
        call("k8s_list_pods", namespace="payments"),
        call("k8s_list_nodes"),
        call("k8s_list_pods", namespace="payments"),
        say("I think everything is fine."),
        say("Still fine."),
        say("Really fine."),
    ]
    run = triage(world, script, labels=LABELS)

    assert run.tools == ["k8s_analyze", "k8s_list_pods", "k8s_list_nodes"]
    asked = next(m for m in run.tool_messages() if m.name == "ask_kubernetes")
    assert "(it stopped making progress before answering)" in str(asked.content)
    nudges = [str(m.content) for m in run.model.received[-1] if m.type == "human"][1:]
    assert nudges == ["Conclude by calling submit_report."] * 2
    report = run.report
    # The healthy scope the alert names stands as the analyzers found it: no fault.
    assert report.status == "no_fault" and report.root_cause is None
    assert report.flags == [LOOP_DETECTED]
    assert report.summary.startswith("The checks found nothing wrong with cluster lab")
    assert (
        "The model's investigation stopped making progress without a report that checks out; "
        "this is the analyzers' report." in report.summary
    )


def test_the_tool_call_budget_refuses_further_calls_and_the_run_concludes_flagged() -> None:
    world = oom_world()
    pod = pod_of(world, "payments", "api")
    script = [
        call("ask_kubernetes", question="Why do the api pods restart?"),
        call("k8s_list_pods", namespace="payments"),
        call("k8s_describe_pod", namespace="payments", pod=pod),
        call("k8s_pod_logs", namespace="payments", pod=pod, previous=True),
        say("OOMKilled [t2]; I could not read the logs."),
        submit(("t2", "OOMKilled, exit 137")),
    ]
    run = triage(world, script, labels=LABELS, budget=Budget(max_tool_calls=2))

    assert run.tools == ["k8s_analyze", "k8s_list_pods", "k8s_describe_pod"]
    refused = next(m for m in run.tool_messages() if m.name == "k8s_pod_logs")
    assert str(refused.content) == (
        "error: not run: run budget reached: 2 of 2 tool calls used. "
        "Conclude now from the results you have."
    )
    report = run.report
    assert report.status == "determined" and report.root_cause == API
    assert report.flags == [BUDGET_EXCEEDED]
    assert report.summary.endswith("Run budget reached: 2 of 2 tool calls used.")


def test_the_token_budget_stops_the_models_and_the_run_reports_the_draft() -> None:
    script = [
        call("ask_kubernetes", question="Why do the api pods restart?"),
        call("k8s_list_pods", namespace="payments"),
    ]
    run = triage(oom_world(), script, labels=LABELS, budget=Budget(max_tokens=300))

    assert run.tools == ["k8s_analyze"]  # out of tokens: the specialist's call did not run
    assert run.investigator.spent().llm_calls == 2
    report = run.report
    assert report.status == "determined" and report.root_cause == API
    assert report.flags == [BUDGET_EXCEEDED]
    assert "ran out of the run's budget" in report.summary
    assert report.summary.endswith("Run budget reached: 300 of 300 tokens used.")
