"""The lab cluster's object store: selectors, patches, events and logs, as the API does them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lab.kube.selectors import InvalidSelector, field_matches, label_matches
from lab.kube.store import InvalidObject, KubeStore, ObjectExists, ObjectNotFound

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def pod(name: str, namespace: str = "shop", **labels: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "app", "image": "shop:1", "resources": {"limits": {"memory": "256Mi"}}},
                {"name": "sidecar", "image": "envoy:1"},
            ],
        },
        "status": {"phase": "Running"},
    }


def test_create_fills_metadata_deterministically_and_refuses_twins() -> None:
    a, b = KubeStore(cluster="lab", now=Clock()), KubeStore(cluster="lab", now=Clock())
    created = a.create("pods", pod("web-1"))
    assert created["kind"] == "Pod" and created["apiVersion"] == "v1"
    assert created["metadata"]["uid"] == b.create("pods", pod("web-1"))["metadata"]["uid"]
    assert created["metadata"]["creationTimestamp"] == "2026-11-22T09:00:00Z"
    assert a.create("deployments", {"metadata": {"name": "web", "namespace": "shop"}})[
        "apiVersion"
    ] == ("apps/v1")
    with pytest.raises(ObjectExists):
        a.create("pods", pod("web-1"))
    with pytest.raises(InvalidObject, match="namespace is required"):
        a.create("pods", {"metadata": {"name": "x"}})
    with pytest.raises(ObjectNotFound, match='pods "nope" not found'):
        a.get("pods", "nope", "shop")


def test_list_by_namespace_and_selectors() -> None:
    store = KubeStore(cluster="lab", now=Clock())
    store.create("pods", pod("web-1", app="web", tier="front"))
    store.create("pods", pod("db-1", app="db"))
    store.create("pods", pod("job-1", namespace="platform", app="job"))
    names = [p["metadata"]["name"] for p in store.list("pods")]
    assert names == ["job-1", "db-1", "web-1"]  # platform < shop, then by name
    assert [
        p["metadata"]["name"] for p in store.list("pods", "shop", label_selector="app=web")
    ] == ["web-1"]
    selected = store.list("pods", label_selector="app in (web, job),!tier")
    assert [p["metadata"]["name"] for p in selected] == ["job-1"]
    by_field = store.list("pods", field_selector="metadata.namespace=shop,metadata.name!=db-1")
    assert [p["metadata"]["name"] for p in by_field] == ["web-1"]


def test_selector_grammar() -> None:
    labels = {"app": "web", "env": "prod"}
    assert label_matches("app==web,env", labels)
    assert label_matches("app notin (db),!canary", labels)
    assert not label_matches("env!=prod", labels)
    assert field_matches("status.phase=Running", {"status": {"phase": "Running"}})
    assert field_matches("spec.nodeName=", {"spec": {}})
    with pytest.raises(InvalidSelector, match="unable to parse"):
        label_matches("app in web", labels)


def test_strategic_patch_merges_containers_by_name_and_merge_patch_replaces_lists() -> None:
    store = KubeStore(cluster="lab", now=Clock())
    before = store.create("pods", pod("web-1"))
    patched = store.patch(
        "pods",
        "web-1",
        "shop",
        {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "512Mi"}}}]}},
    )
    app, sidecar = patched["spec"]["containers"]
    assert app["image"] == "shop:1" and app["resources"]["limits"]["memory"] == "512Mi"
    assert sidecar["name"] == "sidecar"
    assert int(patched["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    assert patched["metadata"]["generation"] == 2

    merged = store.patch(
        "pods", "web-1", "shop", {"spec": {"containers": [{"name": "only"}]}}, kind="merge"
    )
    assert merged["spec"]["containers"] == [{"name": "only"}]
    nulled = store.patch("pods", "web-1", "shop", {"spec": {"nodeName": None}}, kind="merge")
    assert "nodeName" not in nulled["spec"]


def test_repeated_events_are_counted_and_logs_keep_the_previous_container() -> None:
    clock = Clock()
    store = KubeStore(cluster="lab", now=clock)
    web = store.create("pods", pod("web-1"))
    store.record_event(web, reason="BackOff", message="Back-off restarting", type_="Warning")
    clock.now += timedelta(seconds=30)
    event = store.record_event(web, reason="BackOff", message="Back-off again", type_="Warning")
    assert event["count"] == 2 and event["lastTimestamp"] == "2026-11-22T09:00:30Z"
    assert event["involvedObject"]["uid"] == web["metadata"]["uid"]
    assert len(store.list("events", "shop", field_selector="involvedObject.name=web-1")) == 1

    store.write_log("shop", "web-1", "app", "starting")
    store.write_log("shop", "web-1", "app", "out of memory")
    store.restart_log("shop", "web-1", "app")
    clock.now += timedelta(minutes=5)
    store.write_log("shop", "web-1", "app", "starting again")
    assert store.read_log("shop", "web-1", "app") == "starting again\n"
    assert store.read_log("shop", "web-1", "app", previous=True, tail=1) == "out of memory\n"
    assert store.read_log("shop", "web-1", "app", since=clock.now) == "starting again\n"
    stamped = store.read_log("shop", "web-1", "app", timestamps=True)
    assert stamped.startswith("2026-11-22T09:05:30.000000000Z starting again")
    store.delete("pods", "web-1", "shop")
    assert store.read_log("shop", "web-1", "app") == ""
