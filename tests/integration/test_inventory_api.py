"""The inventory API: clusters, and objects by filter with cursor pagination."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from core.clock import ManualClock
from incidents.models.people import Role
from inventory.sync import InventorySync
from lab.kube.port import LabKubernetes
from lab.kube.store import KubeStore
from tests.integration.conftest import T0, Api
from tests.integration.kube_cluster import LabClock, build_cluster

OBJECTS = "/api/v1/inventory/kubernetes/objects"


@pytest.fixture
def synced(api: Api) -> Api:
    """The fixture cluster synced at T0, then again at T0+5m after one pod was deleted."""
    store = build_cluster(KubeStore(cluster="lab", now=LabClock()))
    clock = ManualClock(T0)
    inventory = InventorySync(api.sessions, clock, {"lab": LabKubernetes(store)})
    asyncio.run(inventory.sync("lab"))
    store.delete("pods", "web-7d9f-ok", namespace="shop")
    clock.advance(timedelta(minutes=5))
    asyncio.run(inventory.sync("lab"))
    return api


def names(api: Api, **params: Any) -> list[str]:
    return [f"{o['kind']}/{o['name']}" for o in api.list(OBJECTS, **params)["items"]]


def test_clusters_show_the_last_sync_and_counts(synced: Api) -> None:
    [lab] = synced.list("/api/v1/inventory/kubernetes/clusters")
    assert lab["name"] == "lab" and lab["last_error"] is None
    assert lab["last_synced_at"] == (T0 + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert lab["counts"]["Pod"] == 2 and lab["counts"]["Node"] == 2


def test_objects_filter_by_kind_namespace_label_status_node_and_name(synced: Api) -> None:
    assert names(synced, kind="Node") == ["Node/node-a", "Node/node-b"]
    assert names(synced, kind=["Deployment", "StatefulSet"], namespace="shop") == [
        "Deployment/web",
        "StatefulSet/worker",
    ]
    assert names(synced, label="app=web") == [
        "Deployment/web",
        "Pod/web-7d9f-oom",
        "ReplicaSet/web-7d9f",
    ]
    assert names(synced, label=["app=web", "pod-template-hash=7d9f"]) == ["Pod/web-7d9f-oom"]
    assert names(synced, status="NotReady") == ["Node/node-b"]
    assert names(synced, status="SchedulingDisabled") == ["Node/node-b"]
    assert names(synced, status=["CrashLoopBackOff", "Ready"]) == [
        "Node/node-a",
        "Pod/web-7d9f-oom",
    ]
    assert names(synced, node="node-a") == ["Pod/web-7d9f-oom", "Pod/worker-0"]
    assert names(synced, name="OOM") == ["Pod/web-7d9f-oom"]
    assert names(synced, cluster="elsewhere") == []
    [ns] = synced.list(OBJECTS, kind="Namespace", name="kube-sys")["items"]
    assert ns["namespace"] is None and ns["cluster"] == "lab"


def test_gone_objects_are_listed_only_when_asked(synced: Api) -> None:
    assert names(synced, kind="Pod") == ["Pod/web-7d9f-oom", "Pod/worker-0"]
    pods = synced.list(OBJECTS, kind="Pod", include_gone="true")["items"]
    assert [p["name"] for p in pods] == ["web-7d9f-ok", "web-7d9f-oom", "worker-0"]
    gone = pods[0]
    assert gone["gone_at"] == (T0 + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert gone["first_seen"] == gone["last_seen"] == T0.isoformat().replace("+00:00", "Z")


def test_pages_follow_the_cursor_through_every_object_once(synced: Api) -> None:
    everything = names(synced, include_gone="true", limit=500)
    assert len(everything) == 12
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"include_gone": "true", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = synced.list(OBJECTS, **params)
        seen += [f"{o['kind']}/{o['name']}" for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"kind": "Service"}, "kind"),
        ({"label": "app"}, "label"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(
    synced: Api, params: dict[str, Any], named: str
) -> None:
    response = synced.client.get(OBJECTS, params=params, headers=synced.headers)
    assert response.status_code == 422, response.text
    assert named in response.json()["message"]


def test_reading_the_inventory_needs_a_token_and_any_role_will_do(synced: Api) -> None:
    assert synced.client.get(OBJECTS).status_code == 401
    viewer = synced.user(Role.VIEWER, "viewer@example.com")
    assert synced.client.get(OBJECTS, headers=viewer).status_code == 200
    clusters = synced.client.get("/api/v1/inventory/kubernetes/clusters", headers=viewer)
    assert clusters.status_code == 200


def test_objects_carry_their_health_and_filter_by_it(synced: Api) -> None:
    assert names(synced, health="bad") == ["Node/node-b", "Pod/web-7d9f-oom"]
    unhealthy = synced.list(OBJECTS, health=["warn", "bad"])["items"]
    assert {o["health"] for o in unhealthy} <= {"warn", "bad"} and len(unhealthy) >= 2
    healthy = synced.list(OBJECTS, health="ok", limit=500)["items"]
    assert healthy and all(o["health"] == "ok" for o in healthy)
    everything = synced.list(OBJECTS, limit=500)["items"]
    assert len(healthy) + len(unhealthy) == len(everything)
    response = synced.client.get(OBJECTS, params={"health": "sick"}, headers=synced.headers)
    assert response.status_code == 422 and "health" in response.json()["message"]
