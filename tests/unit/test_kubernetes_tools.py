"""Kubernetes read tools on the lab world, healthy and with faults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lab.faults.catalog import apply_fault
from lab.kube.authz import Identity
from lab.kube.port import LabKubernetes
from lab.world.world import World
from tests.unit.lab_tools import lab_deps, oom_world, run
from tools.context import ToolDeps
from tools.kubernetes.cluster import (
    k8s_get_node,
    k8s_list_namespaces,
    k8s_list_nodes,
    k8s_resource_usage,
)
from tools.kubernetes.pods import k8s_describe_pod, k8s_events, k8s_list_pods, k8s_pod_logs
from tools.kubernetes.workloads import (
    k8s_get_workload,
    k8s_list_services,
    k8s_list_workloads,
    k8s_service_endpoints,
)
from tools.result import ToolStatus


@pytest.fixture(scope="module")
def world() -> World:
    return oom_world()


@pytest.fixture
def deps(world: World) -> ToolDeps:
    return lab_deps(world)


def oom_pod(world: World) -> str:
    return str(world.kube.list("pods", "payments", label_selector="app=api")[0]["metadata"]["name"])


def test_unhealthy_pods_show_the_oom_kill_and_its_exit_code(deps: ToolDeps) -> None:
    result = run(k8s_list_pods.run({"status": "unhealthy"}, deps))
    assert result.status == ToolStatus.OK and result.data is not None
    assert result.message == "3 of 22 pods"
    assert {p.name.split("-")[0] for p in result.data} == {"api"}
    for pod in result.data:
        assert (pod.phase, pod.ready, pod.reason) == ("Running", "0/1", "CrashLoopBackOff")
        assert pod.restarts >= 5 and pod.last_exit is not None
        assert pod.last_exit.startswith("OOMKilled, exit 137, at 2026-11-16T")
    text = result.render()
    assert '"last_exit":"OOMKilled, exit 137' in text and not result.untrusted
    running = run(k8s_list_pods.run({"namespace": "payments", "selector": "app=ledger"}, deps))
    assert running.data is not None and [p.ready for p in running.data] == ["1/1", "1/1"]
    none = run(k8s_list_pods.run({"namespace": "shop", "status": "Failed"}, deps))
    assert none.status == ToolStatus.NO_DATA and none.message is not None


def test_describe_pod_shows_limits_termination_conditions_and_events(
    world: World, deps: ToolDeps
) -> None:
    pod = oom_pod(world)
    result = run(k8s_describe_pod.run({"namespace": "payments", "pod": pod}, deps))
    detail = result.data
    assert detail is not None and result.untrusted  # event messages are cluster text
    [container] = detail.containers
    assert (
        container.limits == "cpu=1 memory=256Mi" and container.state == "waiting: CrashLoopBackOff"
    )
    assert container.last_termination is not None
    assert container.last_termination.startswith("OOMKilled, exit 137")
    assert detail.conditions is not None and any(
        c.startswith("Ready=False (ContainersNotReady") for c in detail.conditions
    )
    assert detail.events is not None and detail.events[0].reason == "BackOff"
    assert detail.owner is not None and detail.owner.startswith("ReplicaSet/api-")


def test_previous_logs_hold_the_memory_warnings_and_are_untrusted(
    world: World, deps: ToolDeps
) -> None:
    pod = oom_pod(world)
    args = {"namespace": "payments", "pod": pod, "previous": True}
    result = run(k8s_pod_logs.run(args, deps))
    assert result.status == ToolStatus.OK and result.untrusted
    assert result.data is not None and "memory usage close to the container limit" in result.data
    assert result.render().startswith(
        f'[t1] k8s_pod_logs(namespace="payments", pod="{pod}", previous=true) -> ok (untrusted:'
    )


def test_long_logs_keep_their_newest_lines_with_a_note(deps: ToolDeps) -> None:
    pods = run(k8s_list_pods.run({"namespace": "payments", "selector": "app=ledger"}, deps))
    assert pods.data is not None
    args = {"namespace": "payments", "pod": pods.data[0].name, "tail": 5000}
    full = run(k8s_pod_logs.run(args, deps))
    assert full.data is not None and len(full.data) > 8000
    assert full.shown is not None and full.data.endswith(full.shown)
    assert full.truncated is not None and full.truncated.startswith("showing the last ")
    assert full.truncated.endswith("lower tail or since_minutes to read less")
    assert deps.recorder.entries[-1].truncated


def test_not_found_and_forbidden_are_results_with_the_servers_message(world: World) -> None:
    deps = lab_deps(world)
    missing = run(k8s_describe_pod.run({"namespace": "payments", "pod": "nope"}, deps))
    assert missing.error is not None
    assert (missing.error.code, missing.error.backend, missing.error.target) == (
        "not_found",
        "kubernetes",
        "payments/nope",
    )
    assert missing.error.message.startswith('kubernetes lab: pods "nope" not found')
    stranger = lab_deps(
        world, clusters={"lab": LabKubernetes(world.kube, identity=Identity("eve"))}
    )
    refused = run(k8s_list_pods.run({"namespace": "payments"}, stranger))
    assert refused.error is not None and refused.error.code == "forbidden"
    assert 'User "eve" cannot list resource "pods"' in refused.error.message
    assert "do not retry" in refused.render()


def test_the_cluster_is_the_only_one_or_must_be_named(world: World) -> None:
    port = LabKubernetes(world.kube)
    two = lab_deps(world, clusters={"prod": port, "staging": port})
    ambiguous = run(k8s_list_namespaces.run({}, two))
    assert ambiguous.error is not None and ambiguous.error.code == "invalid_request"
    assert ambiguous.error.message == (
        "several clusters are configured (prod, staging): name one as cluster"
    )
    named = run(k8s_list_namespaces.run({"cluster": "staging"}, two))
    assert named.data is not None and "payments" in [n.name for n in named.data]
    unknown = run(k8s_list_namespaces.run({"cluster": "dev"}, two))
    assert unknown.error is not None and "the clusters are: prod, staging" in unknown.error.message
    none = run(k8s_list_namespaces.run({}, lab_deps(world, clusters={})))
    assert none.error is not None and none.error.code == "unavailable"


def test_events_by_object_and_type_newest_first_and_untrusted(world: World, deps: ToolDeps) -> None:
    warnings = run(k8s_events.run({"namespace": "payments", "type": "Warning"}, deps))
    assert warnings.untrusted and warnings.data is not None
    assert {e.reason for e in warnings.data} == {"BackOff"} and len(warnings.data) == 3
    pod = oom_pod(world)
    about = run(k8s_events.run({"namespace": "payments", "kind": "Pod", "name": pod}, deps))
    assert about.data is not None and {e.object for e in about.data} == {f"Pod/{pod}"}
    seen = [e.last_seen or "" for e in about.data]
    assert seen == sorted(seen, reverse=True)
    everywhere = run(k8s_events.run({"type": "Warning", "limit": 1}, deps))
    assert everywhere.data is not None and everywhere.data[0].object.startswith("payments/Pod/")
    assert everywhere.message == "1 of 3 matching events"


def test_workloads_and_services_show_the_broken_rollout(deps: ToolDeps) -> None:
    broken = run(k8s_list_workloads.run({"not_ready_only": True}, deps))
    assert broken.data is not None and [(w.name, w.ready) for w in broken.data] == [("api", "0/3")]
    api = run(k8s_get_workload.run({"namespace": "payments", "name": "api"}, deps))
    assert api.data is not None and api.data.containers[0].limits == "cpu=1 memory=256Mi"
    assert api.data.pods is not None and len(api.data.pods) == 3
    services = run(k8s_list_services.run({"namespace": "payments"}, deps))
    assert services.data is not None and [s.name for s in services.data] == ["api", "ledger"]
    endpoints = run(k8s_service_endpoints.run({"namespace": "payments", "name": "api"}, deps))
    assert endpoints.data is not None and endpoints.data.ready is None
    assert endpoints.data.not_ready is not None and len(endpoints.data.not_ready) == 3
    assert endpoints.message == "no ready endpoints: the service sends traffic nowhere"
    wrong = run(
        k8s_get_workload.run({"kind": "StatefulSet", "namespace": "payments", "name": "api"}, deps)
    )
    assert wrong.error is not None and wrong.error.target == "StatefulSet payments/api"


def test_a_node_not_ready_shows_its_condition_and_taints() -> None:
    world = World.build(7)
    apply_fault(world, "k8s.node_not_ready", {"node": "k8s-worker-03"})
    world.advance(timedelta(minutes=5))
    deps = lab_deps(world)
    troubled = run(k8s_list_nodes.run({"problems_only": True}, deps))
    assert troubled.data is not None and [n.name for n in troubled.data] == ["k8s-worker-03"]
    node = troubled.data[0]
    assert node.status == "NotReady" and node.problems is not None
    assert any(p.startswith("Ready=Unknown") for p in node.problems)
    assert node.taints is not None and "node.kubernetes.io/unreachable:NoSchedule" in node.taints
    detail = run(k8s_get_node.run({"name": "k8s-worker-03"}, deps))
    assert detail.data is not None and len(detail.data.conditions) == 4
    assert detail.data.allocatable is not None and "memory=" in detail.data.allocatable
    healthy = run(k8s_list_nodes.run({}, deps))
    assert healthy.data is not None and healthy.data[1].memory == "31.9Gi"


def test_resource_usage_when_measured_and_when_not() -> None:
    world = World.build(7)
    deps = lab_deps(world)
    unmeasured = run(k8s_resource_usage.run({}, deps))
    assert unmeasured.status == ToolStatus.NO_DATA
    assert unmeasured.message is not None and "metrics.k8s.io" in unmeasured.message
    world.kube.metrics_server = True
    world.kube.record_usage("nodes", "k8s-worker-01", {"usage": {"cpu": "2", "memory": "8Gi"}})
    for name, memory in (("a", "100Mi"), ("b", "300Mi")):
        world.kube.create("pods", {"metadata": {"name": name, "namespace": "x"}, "spec": {}})
        world.kube.record_usage(
            "pods", name, {"app": {"cpu": "10m", "memory": memory}}, namespace="x"
        )
    usage = run(k8s_resource_usage.run({"top": 1}, deps))
    assert usage.data is not None and usage.message == "top 1 of 2 pods by memory"
    [node] = usage.data.nodes
    assert node.cpu == "2.0 cores (25% of 8)" and node.memory == "8Gi (25% of 31.9Gi)"
    assert [(p.name, p.memory) for p in usage.data.pods] == [("b", "300Mi")]
