"""The lab store's resource metrics: recorded as metrics.k8s.io reports them, gone with the pod."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lab.kube.store import InvalidObject, KubeStore

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_usage_records_and_their_lifetime() -> None:
    store = KubeStore(cluster="lab", now=lambda: T0)
    assert not store.metrics_server
    node = store.record_usage("nodes", "n1", {"usage": {"cpu": "1", "memory": "1Gi"}})
    assert (node["kind"], node["apiVersion"]) == ("NodeMetrics", "metrics.k8s.io/v1beta1")
    assert node["timestamp"] == "2026-06-01T09:00:00Z" and node["usage"]["cpu"] == "1"
    store.create("pods", {"metadata": {"name": "p", "namespace": "a"}, "spec": {}})
    pod = store.record_usage("pods", "p", {"app": {"cpu": "5m", "memory": "1Mi"}}, namespace="a")
    assert pod["containers"] == [{"name": "app", "usage": {"cpu": "5m", "memory": "1Mi"}}]
    store.record_usage("pods", "q", {"app": {"cpu": "1m", "memory": "1Mi"}}, namespace="b")
    assert [m["metadata"]["name"] for m in store.list_usage("pods")] == ["p", "q"]
    assert [m["metadata"]["name"] for m in store.list_usage("pods", "a")] == ["p"]
    store.delete("pods", "p", "a")
    assert [m["metadata"]["name"] for m in store.list_usage("pods")] == ["q"]
    with pytest.raises(InvalidObject, match="namespace is required"):
        store.record_usage("pods", "r", {})
