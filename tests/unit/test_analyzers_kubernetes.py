"""The Kubernetes analyzers name each lab fault's resource and category, with evidence."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from incidents.triage_report import ResourceRef
from lab.faults.catalog import apply_fault
from lab.kube.port import LabKubernetes
from lab.world.world import LAB_EPOCH, World
from tests.unit.lab_tools import lab_deps, oom_world, run
from tools.analyzers.findings import Finding
from tools.analyzers.kubernetes import analyze_kubernetes, rank
from tools.analyzers.scope import Scope
from tools.analyzers.tool import k8s_analyze
from tools.catalog import default_registry


def analyzed(
    fault: str, target: dict[str, str], labels: dict[str, str], minutes: int = 30
) -> list[Finding]:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=minutes))
    apply_fault(world, fault, target)
    world.advance(timedelta(minutes=minutes))
    return asyncio.run(analyze_kubernetes(LabKubernetes(world.kube), Scope.from_labels(labels)))


def deployment(namespace: str, name: str) -> ResourceRef:
    return ResourceRef(cloud="kubernetes", kind="Deployment", namespace=namespace, name=name)


def test_oom_kill_names_the_deployment_its_limit_and_a_bigger_one() -> None:
    [first, *_] = analyzed(
        "k8s.oom_kill", {"namespace": "payments", "deployment": "api"}, {"namespace": "payments"}
    )
    assert (first.analyzer, first.resource, first.category) == (
        "oom_killed",
        deployment("payments", "api"),
        "resource.memory",
    )
    text = "\n".join(first.evidence)
    assert "OOMKilled (exit code 137)" in text and "memory limit 256Mi" in text
    assert "memory usage close to the container limit" in text  # the previous log
    assert first.action is not None and first.action.action == "kubernetes.set_memory_limit"
    assert first.action.params["memory_limit"] == "512Mi"
    assert {s.kind for s in first.subjects} == {"Pod"} and len(first.subjects) == 3


def test_an_unpullable_image_quotes_the_runtime_error() -> None:
    [first, *_] = analyzed(
        "k8s.image_pull", {"namespace": "payments", "deployment": "api"}, {"namespace": "payments"}
    )
    assert (first.analyzer, first.resource, first.category) == (
        "image_pull",
        deployment("payments", "api"),
        "image.pull",
    )
    assert any("failed to pull and unpack image" in e for e in first.evidence)
    assert first.action is not None and first.action.action == "kubernetes.rollout_undo"


def test_a_bad_config_value_is_a_config_crash_with_the_last_log_lines() -> None:
    [first, *_] = analyzed(
        "k8s.crashloop_bad_config",
        {"namespace": "shop", "deployment": "checkout"},
        {"namespace": "shop"},
    )
    assert (first.analyzer, first.resource, first.category) == (
        "crash_loop",
        deployment("shop", "checkout"),
        "crash.config",
    )
    assert "last exit code 1" in first.evidence[0]
    assert any("invalid configuration" in e for e in first.evidence)


def test_a_node_not_ready_lists_what_ran_on_it() -> None:
    findings = analyzed("k8s.node_not_ready", {"node": "k8s-worker-02"}, {"node": "k8s-worker-02"})
    first = findings[0]
    assert (first.analyzer, first.resource.kind, first.resource.name, first.category) == (
        "node_not_ready",
        "Node",
        "k8s-worker-02",
        "host.down",
    )
    assert "Kubelet stopped posting node status" in first.evidence[0]
    assert any("pods were scheduled on it" in e for e in first.evidence)


def test_pending_pods_carry_the_schedulers_reason() -> None:
    [first, *_] = analyzed(
        "k8s.pending_insufficient_cpu",
        {"namespace": "payments", "deployment": "api"},
        {"namespace": "payments"},
    )
    assert (first.analyzer, first.resource, first.category) == (
        "unschedulable",
        deployment("payments", "api"),
        "scheduling.capacity",
    )
    assert "Insufficient cpu" in first.evidence[0]


@pytest.mark.parametrize("labels", [{"namespace": "kube-system"}, {"namespace": "payments"}])
def test_dns_failure_points_at_coredns_from_its_logs_or_the_apps(labels: dict[str, str]) -> None:
    findings = analyzed("k8s.dns_failure", {}, labels)
    first = findings[0]
    assert (first.analyzer, first.resource, first.category) == (
        "dns_failure",
        deployment("kube-system", "coredns"),
        "network.dns",
    )
    assert all("i/o timeout" in e for e in first.evidence)
    if labels["namespace"] == "payments":  # the apps' failed lookups come after, as symptoms
        assert {f.analyzer for f in findings[1:]} == {"dns_errors_in_logs"}


def test_an_alert_about_a_replaced_pod_still_finds_its_successors() -> None:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    [old] = [
        p["metadata"]["name"] for p in world.kube.list("pods", "payments", label_selector="app=api")
    ][:1]
    apply_fault(world, "k8s.oom_kill", {"namespace": "payments", "deployment": "api"})
    world.advance(timedelta(minutes=30))
    port = LabKubernetes(world.kube)
    findings = asyncio.run(
        analyze_kubernetes(port, Scope.from_labels({"namespace": "payments", "pod": old}))
    )
    assert findings and findings[0].resource == deployment("payments", "api")


@pytest.mark.parametrize("seed", [7, 8, 11])
def test_a_healthy_cluster_has_no_findings(seed: int) -> None:
    world = World.build(seed)
    assert asyncio.run(analyze_kubernetes(LabKubernetes(world.kube), Scope())) == []


def test_ranking_merges_one_problem_seen_on_several_pods() -> None:
    def pod(name: str) -> ResourceRef:
        return ResourceRef(cloud="kubernetes", kind="Pod", namespace="a", name=name)

    one = Finding(
        analyzer="oom_killed",
        resource=deployment("a", "api"),
        category="resource.memory",
        summary="s",
        evidence=("e1",),
        subjects=(pod("p1"),),
        weight=1.0,
    )
    symptom = Finding(
        analyzer="failing_probes",
        resource=deployment("a", "web"),
        category="dependency.service",
        summary="s",
        evidence=("e3",),
        subjects=(pod("p3"),),
        weight=0.3,
    )
    two = Finding(
        analyzer="oom_killed",
        resource=deployment("a", "api"),
        category="resource.memory",
        summary="s",
        evidence=("e1", "e2"),
        subjects=(pod("p2"),),
        weight=1.0,
    )
    merged = rank([symptom, one, two])
    assert [f.analyzer for f in merged] == ["oom_killed", "failing_probes"]
    assert merged[0].evidence == ("e1", "e2") and len(merged[0].subjects) == 2


def test_failing_probes_are_a_symptom_ranked_below_a_cause() -> None:
    world = World.build(7)
    pod = world.kube.list("pods", "shop", label_selector="app=cart")[0]
    for _ in range(3):
        world.kube.record_event(
            pod,
            reason="Unhealthy",
            message="Readiness probe failed: HTTP probe failed with statuscode: 503",
            type_="Warning",
        )
    findings = asyncio.run(
        analyze_kubernetes(LabKubernetes(world.kube), Scope.from_labels({"namespace": "shop"}))
    )
    [probe] = findings
    assert (probe.analyzer, probe.resource, probe.category) == (
        "failing_probes",
        deployment("shop", "cart"),
        "dependency.service",
    )
    assert probe.summary.endswith("readiness probes fail") and probe.weight < 0.5
    assert "Unhealthy x3" in probe.evidence[0]


def test_the_analyze_tool_lists_findings_as_untrusted_data_and_is_logged() -> None:
    deps = lab_deps(oom_world())
    result = run(k8s_analyze.run({"namespace": "payments"}, deps))
    assert result.status == "ok" and result.untrusted
    assert result.data is not None
    [first] = [f for f in result.data if f.rule == "oom_killed"]
    assert first.resource == deployment("payments", "api") and first.category == "resource.memory"
    assert first.proposed_action is not None
    assert first.proposed_action.action == "kubernetes.set_memory_limit"
    assert "OOMKilled" in result.render()
    [call] = deps.recorder.entries
    assert (call.call_id, call.tool, call.status) == ("t1", "k8s_analyze", "ok")
    assert result.call_id == "t1" and result.render().startswith("[t1] k8s_analyze(")
    assert deps.recorder.get("t1") == call and deps.recorder.next_id() == "t2"
    healthy = run(k8s_analyze.run({"namespace": "shop"}, lab_deps(World.build(7))))
    assert healthy.status == "no_data" and "no problem found" in (healthy.message or "")
    assert "k8s_analyze" in {t.name for t in default_registry().read_tools()}
