"""Where triage looks, from the incident's alert labels."""

from __future__ import annotations

from agents.triage.scope import MAX_TARGETS, analyze_targets, workload_of


def test_pods_of_one_deployment_are_one_scope() -> None:
    labels = [
        {
            "alertname": "KubePodCrashLooping",
            "namespace": "payments",
            "pod": "api-pl7glsn5x2-hjg4b",
        },
        {
            "alertname": "KubePodCrashLooping",
            "namespace": "payments",
            "pod": "api-pl7glsn5x2-skgjp",
        },
    ]
    assert analyze_targets(labels, ["lab"]) == [
        {"namespace": "payments", "workload": "api", "cluster": "lab"}
    ]


def test_a_named_cluster_is_used_and_an_unnamed_one_means_each() -> None:
    node = {"alertname": "KubeNodeNotReady", "node": "w2"}
    assert analyze_targets([{**node, "cluster": "edge"}], ["edge", "prod"]) == [
        {"node": "w2", "cluster": "edge"}
    ]
    assert analyze_targets([node], ["prod", "edge"]) == [
        {"node": "w2", "cluster": "edge"},
        {"node": "w2", "cluster": "prod"},
    ]


def test_alerts_without_kubernetes_labels_look_cluster_wide_and_targets_are_bounded() -> None:
    assert analyze_targets([{"alertname": "CoreDNSErrorsHigh"}], ["lab"]) == [{"cluster": "lab"}]
    many = [{"namespace": f"ns{i}"} for i in range(10)]
    assert len(analyze_targets(many, ["lab"])) == MAX_TARGETS
    assert analyze_targets(many, []) == []


def test_only_names_shaped_like_a_replicaset_pod_give_their_deployment() -> None:
    assert workload_of("api-pl7glsn5x2-hjg4b") == "api"
    assert workload_of("cart-svc-7d9f8c6b5-x2x9q") == "cart-svc"
    assert workload_of("web-0") is None and workload_of("my-cool-app") is None
