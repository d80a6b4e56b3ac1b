"""The facade's HTTP surface as the API server's: discovery, lists, subresources, Status errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from lab.kube.facade import KubeFacade, facade_url, serve_facade
from lab.kube.store import KubeStore
from tests.integration.kube_cluster import LabClock, build_cluster

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def facade() -> Iterator[KubeFacade]:
    with serve_facade(build_cluster(KubeStore(cluster="lab", now=LabClock()))) as served:
        yield served


def call(
    facade: KubeFacade,
    path: str,
    *,
    method: str = "GET",
    body: Any = None,
    content_type: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        facade_url(facade) + path,
        data=data,
        method=method,
        headers={"Content-Type": content_type, "Accept": accept},
    )
    try:
        with _OPENER.open(request, timeout=10) as response:
            raw = response.read().decode()
            status: int = response.status
    except urllib.error.HTTPError as e:
        raw, status = e.read().decode(), e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def test_discovery(facade: KubeFacade) -> None:
    assert call(facade, "/version")[1]["gitVersion"].startswith("v1.32")
    assert call(facade, "/api")[1]["versions"] == ["v1"]
    groups = {g["name"] for g in call(facade, "/apis")[1]["groups"]}
    assert groups == {"apps", "rbac.authorization.k8s.io"}
    core = {r["name"]: r for r in call(facade, "/api/v1")[1]["resources"]}
    assert core["pods"]["shortNames"] == ["po"] and core["pods"]["namespaced"]
    assert not core["nodes"]["namespaced"] and "patch" in core["nodes"]["verbs"]
    assert core["pods/log"]["verbs"] == ["get"]
    apps = {r["name"]: r for r in call(facade, "/apis/apps/v1")[1]["resources"]}
    assert apps["deployments/scale"]["kind"] == "Scale"
    assert "roles" in {
        r["name"] for r in call(facade, "/apis/rbac.authorization.k8s.io/v1")[1]["resources"]
    }
    assert call(facade, "/apis/batch/v1")[0] == 404
    assert call(facade, "/apis/metrics.k8s.io/v1beta1/pods")[0] == 404
    facade.store.metrics_server = True
    groups = {g["name"] for g in call(facade, "/apis")[1]["groups"]}
    assert "metrics.k8s.io" in groups
    assert call(facade, "/apis/metrics.k8s.io/v1beta1/pods")[1]["kind"] == "PodMetricsList"


def test_lists_are_typed_with_a_resource_version(facade: KubeFacade) -> None:
    status, pods = call(facade, "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb")
    assert status == 200 and pods["kind"] == "PodList" and pods["apiVersion"] == "v1"
    assert int(pods["metadata"]["resourceVersion"]) > 0
    assert [p["metadata"]["name"] for p in pods["items"]] == ["web-7d9f-ok", "web-7d9f-oom"]
    everywhere = call(facade, "/apis/apps/v1/deployments")[1]
    assert everywhere["kind"] == "DeploymentList" and len(everywhere["items"]) == 1
    selected = call(facade, "/api/v1/events?fieldSelector=involvedObject.kind%3DNode")[1]
    assert [e["reason"] for e in selected["items"]] == ["NodeNotReady"]
    table = call(facade, "/api/v1/nodes", accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert table[1]["kind"] == "Table" and table[1]["rows"][1]["cells"][1] == (
        "NotReady,SchedulingDisabled"
    )


def test_errors_are_status_objects(facade: KubeFacade) -> None:
    status, body = call(facade, "/api/v1/namespaces/shop/pods/nope")
    assert status == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "pods \"nope\" not found in namespace 'shop'",
        "reason": "NotFound",
        "code": 404,
    }
    patch = [{"op": "replace", "path": "/spec/replicas", "value": 1}]
    status, body = call(
        facade,
        "/apis/apps/v1/namespaces/shop/deployments/web",
        method="PATCH",
        body=patch,
        content_type="application/json-patch+json",
    )
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    status, body = call(facade, "/api/v1/pods?watch=true")
    assert (status, body["reason"]) == (405, "MethodNotAllowed")
    new_ns = {"metadata": {"name": "shop"}}
    status, body = call(facade, "/api/v1/namespaces", method="POST", body=new_ns)
    assert (status, body["reason"]) == (409, "AlreadyExists")
    status, body = call(facade, "/api/v1/pods?labelSelector=app%20in%20web")
    assert (status, body["reason"]) == (400, "BadRequest")


def test_replace_checks_the_resource_version_and_the_name(facade: KubeFacade) -> None:
    path = "/api/v1/namespaces/shop/services/web"
    service = call(facade, path)[1]
    service["metadata"]["labels"] = {"tier": "front"}
    status, replaced = call(facade, path, method="PUT", body=service)
    assert status == 200 and replaced["metadata"]["labels"] == {"tier": "front"}
    status, stale = call(facade, path, method="PUT", body=service)  # the old resourceVersion
    assert (status, stale["reason"]) == (409, "Conflict")
    assert "the object has been modified" in stale["message"]
    replaced["metadata"]["name"] = "other"
    assert call(facade, path, method="PUT", body=replaced)[0] == 400
    status, body = call(
        facade,
        "/api/v1/namespaces",
        method="POST",
        body={},
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")


def test_scale_subresource_get_put_and_patch(facade: KubeFacade) -> None:
    path = "/apis/apps/v1/namespaces/shop/deployments/web/scale"
    status, scale = call(facade, path)
    assert status == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert (scale["spec"]["replicas"], scale["status"]["selector"]) == (2, "app=web")
    scale["spec"]["replicas"] = 3
    assert call(facade, path, method="PUT", body=scale)[1]["spec"]["replicas"] == 3
    patched = call(
        facade,
        path,
        method="PATCH",
        body={"spec": {"replicas": 6}},
        content_type="application/merge-patch+json",
    )
    assert patched[1]["spec"]["replicas"] == 6
    assert facade.store.get("deployments", "web", "shop")["spec"]["replicas"] == 6
    invalid = call(facade, path, method="PUT", body={"spec": {"replicas": -2}})
    assert (invalid[0], invalid[1]["reason"]) == (422, "Invalid")
    daemon = "/apis/apps/v1/namespaces/kube-system/daemonsets/node-exporter/scale"
    assert call(facade, daemon)[0] == 404


def test_log_subresource_parameters(facade: KubeFacade) -> None:
    base = "/api/v1/namespaces/shop/pods/web-7d9f-ok/log"
    assert call(facade, base)[1].count("\n") == 3
    since = call(facade, base + "?sinceTime=2026-06-01T08:55:00Z")[1]
    assert since == "GET /checkout 200\n"
    stamped = call(facade, base + "?tailLines=1&timestamps=true")[1]
    assert stamped == "2026-06-01T08:59:00.000000000Z GET /checkout 200\n"
    assert call(facade, base + "?sinceSeconds=900")[1] == "GET /cart 200\nGET /checkout 200\n"
    status, body = call(facade, "/api/v1/namespaces/shop/pods/worker-0/log")
    assert (status, body["reason"]) == (400, "BadRequest")
    assert "choose one of: [worker metrics]" in body["message"]
