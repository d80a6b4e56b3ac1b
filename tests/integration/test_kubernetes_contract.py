"""One contract, two targets: `LabKubernetes` in-process and `KubernetesClient` over HTTP.

The HTTP target is the official `kubernetes` client, configured from a kubeconfig file, talking to
the lab's REST facade over the same fixture cluster; every test runs on both, so the real client,
the facade and the lab's port must all agree, errors and their messages included.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import SecretStr

from connectors.kubernetes.client import KubernetesClient, api_client
from connectors.kubernetes.models import ObjectRef, Subject
from connectors.kubernetes.port import KubernetesPort
from core.errors import Forbidden, InvalidRequest, NotFound
from core.settings import KubernetesCluster
from lab.kube.authz import Identity
from lab.kube.facade import facade_url, serve_facade
from lab.kube.kubeconfig import write_kubeconfig
from lab.kube.port import LabKubernetes
from lab.kube.store import KubeStore
from tests.integration.kube_cluster import LabClock, build_cluster, run_metrics_server

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass
class Target:
    port: KubernetesPort
    store: KubeStore
    clock: LabClock


@dataclass
class Users:
    ports: dict[str, KubernetesPort]
    store: KubeStore


@pytest.fixture(params=["lab", "http"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    clock = LabClock()
    store = build_cluster(KubeStore(cluster="lab", now=clock))
    if request.param == "lab":
        yield Target(LabKubernetes(store), store, clock)
        return
    with serve_facade(store) as facade:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=facade_url(facade))
        config = KubernetesCluster(name="lab", kubeconfig=kubeconfig, context="lab")
        client = KubernetesClient(api_client(config), cluster="lab", now=clock)
        yield Target(client, store, clock)
        client.close()


@pytest.fixture(params=["lab", "http"])
def as_user(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Users]:
    """Ports acting as alice (reads pods in shop) and bob (group sre: everything), by RBAC."""
    store = build_cluster(KubeStore(cluster="lab", now=LabClock()))
    identities = {"alice": Identity("alice"), "bob": Identity("bob", ("sre",))}
    if request.param == "lab":
        yield Users({n: LabKubernetes(store, identity=i) for n, i in identities.items()}, store)
        return
    with serve_facade(store, users={f"{n}-token": i for n, i in identities.items()}) as facade:
        assert facade.ca_pem is not None
        ca = tmp_path / "ca.crt"
        ca.write_bytes(facade.ca_pem)
        clients = {
            name: KubernetesClient.connect(
                KubernetesCluster(
                    name="lab",
                    server=facade_url(facade),
                    token=SecretStr(f"{name}-token"),
                    ca_file=ca,
                )
            )
            for name in identities
        }
        yield Users(dict(clients), store)
        for client in clients.values():
            client.close()


# ---------------------------------------------------------------------- reads


def test_namespaces(target: Target) -> None:
    names = [n.name for n in run(target.port.list_namespaces())]
    assert names == ["default", "kube-system", "shop"]


def test_nodes_conditions_taints_and_sizes(target: Target) -> None:
    nodes = {n.name: n for n in run(target.port.list_nodes())}
    assert nodes["node-a"].ready and not nodes["node-a"].unschedulable
    b = nodes["node-b"]
    assert not b.ready and b.unschedulable
    assert [t.key for t in b.taints] == [
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/unschedulable",
    ]
    ready = next(c for c in b.conditions if c.type == "Ready")
    assert (ready.status, ready.reason) == ("Unknown", "NodeStatusUnknown")
    assert b.capacity["cpu"] == "4" and b.allocatable["memory"] == "15Gi"
    assert b.roles == ("worker",) and b.kubelet_version == "v1.32.0"
    assert run(target.port.get_node(name="node-b")) == b
    selected = run(target.port.list_nodes(selector="kubernetes.io/hostname=node-a"))
    assert [n.name for n in selected] == ["node-a"]


def test_pods_statuses_restarts_and_resources(target: Target) -> None:
    port = target.port
    everywhere = [p.name for p in run(port.list_pods(namespace=None))]
    assert everywhere == ["web-7d9f-ok", "web-7d9f-oom", "worker-0"]
    web = run(port.list_pods(namespace="shop", selector="app=web", node="node-a"))
    assert [p.name for p in web] == ["web-7d9f-ok", "web-7d9f-oom"]
    assert run(port.list_pods(namespace="shop", node="node-b")) == []
    oom = run(port.get_pod(namespace="shop", name="web-7d9f-oom"))
    assert (oom.phase, oom.node, oom.restarts) == ("Running", "node-a", 4)
    assert oom.owner == ObjectRef(kind="ReplicaSet", name="web-7d9f", namespace="shop")
    status = oom.statuses[0]
    assert (status.state, status.reason, status.ready) == ("waiting", "CrashLoopBackOff", False)
    assert status.last_termination is not None
    assert (status.last_termination.reason, status.last_termination.exit_code) == ("OOMKilled", 137)
    assert oom.containers[0].requests == {"cpu": "100m", "memory": "128Mi"}
    assert oom.containers[0].limits == {"memory": "256Mi"}


def test_workloads_of_each_kind(target: Target) -> None:
    port = target.port
    web = run(port.get_workload(kind="Deployment", namespace="shop", name="web"))
    assert (web.desired, web.ready, web.available, web.updated) == (2, 1, 1, 2)
    assert web.selector == {"app": "web"} and web.containers[0].name == "app"
    [rs] = run(port.list_workloads(kind="ReplicaSet", namespace="shop"))
    assert rs.owner == ObjectRef(kind="Deployment", name="web", namespace="shop")
    [sts] = run(port.list_workloads(kind="StatefulSet", namespace=None, selector="!missing"))
    assert (sts.name, [c.name for c in sts.containers]) == ("worker", ["worker", "metrics"])
    [ds] = run(port.list_workloads(kind="DaemonSet", namespace=None))
    assert (ds.namespace, ds.desired, ds.ready) == ("kube-system", 2, 1)
    assert run(port.list_workloads(kind="Deployment", namespace="default")) == []


def test_services_and_endpoints(target: Target) -> None:
    [svc] = run(target.port.list_services(namespace="shop"))
    assert (svc.type, svc.cluster_ip, svc.selector) == ("ClusterIP", "10.96.0.20", {"app": "web"})
    assert (svc.ports[0].port, svc.ports[0].target_port) == (80, "8080")
    endpoints = run(target.port.get_endpoints(namespace="shop", name="web"))
    assert [a.ip for a in endpoints.ready] == ["10.244.0.10"]
    not_ready = [a for a in endpoints.addresses if not a.ready]
    assert not_ready[0].target == ObjectRef(kind="Pod", name="web-7d9f-oom", namespace="shop")
    assert endpoints.ports == (8080,)


def test_events_by_involved_object(target: Target) -> None:
    ref = ObjectRef(kind="Pod", name="web-7d9f-oom", namespace="shop")
    [backoff] = run(target.port.events(namespace="shop", involved=ref))
    assert (backoff.type, backoff.reason, backoff.count) == ("Warning", "BackOff", 2)
    assert backoff.involved == ref and backoff.source == "kubelet"
    reasons = {e.reason for e in run(target.port.events(namespace=None))}
    assert reasons == {"BackOff", "NodeNotReady"}
    other = ObjectRef(kind="Pod", name="web-7d9f-ok", namespace="shop")
    assert run(target.port.events(namespace="shop", involved=other)) == []


def test_pod_logs_current_previous_since_and_tail(target: Target) -> None:
    port = target.port
    previous = run(port.pod_logs(namespace="shop", pod="web-7d9f-oom", previous=True))
    assert previous == "starting shop-web 1.4\nloading catalogue cache\nfatal: out of memory\n"
    assert run(port.pod_logs(namespace="shop", pod="web-7d9f-oom")) == "starting shop-web 1.4\n"
    recent = run(port.pod_logs(namespace="shop", pod="web-7d9f-ok", since=timedelta(minutes=5)))
    assert recent == "GET /checkout 200\n"
    tail = run(port.pod_logs(namespace="shop", pod="web-7d9f-ok", tail=2))
    assert tail == "GET /cart 200\nGET /checkout 200\n"
    logs = run(port.pod_logs(namespace="shop", pod="worker-0", container="worker", tail=None))
    assert logs == "processing queue orders\n"
    with pytest.raises(
        InvalidRequest, match=r"container name must be specified .* \[worker metrics\]"
    ):
        run(port.pod_logs(namespace="shop", pod="worker-0"))
    with pytest.raises(InvalidRequest, match="container nope is not valid for pod worker-0"):
        run(port.pod_logs(namespace="shop", pod="worker-0", container="nope"))


def test_resource_usage_is_cleanly_unavailable_without_a_metrics_api(target: Target) -> None:
    usage = run(target.port.resource_usage(namespace="shop"))
    assert not usage.available and usage.reason
    assert usage.nodes == () and usage.pods == ()


def test_resource_usage_from_the_metrics_api(target: Target) -> None:
    run_metrics_server(target.store)
    usage = run(target.port.resource_usage(namespace="shop"))
    assert usage.available and usage.reason is None
    assert [(n.name, n.cpu_cores, n.memory_bytes) for n in usage.nodes] == [
        ("node-a", 1.2, 6 * 2**30),
        ("node-b", 0.0, 0),
    ]
    assert [(p.name, p.cpu_cores, p.memory_bytes) for p in usage.pods] == [
        ("web-7d9f-ok", 0.05, 100 * 2**20),
        ("web-7d9f-oom", 0.25, 250 * 2**20),
    ]
    assert run(target.port.resource_usage(namespace="default")).pods == ()


def test_rbac_roles_bindings_and_who_can(target: Target) -> None:
    port = target.port
    [role] = run(port.list_roles(namespace="shop"))
    assert (role.kind, role.name, role.rules[0].verbs) == ("Role", "pod-reader", ("get", "list"))
    assert [r.name for r in run(port.list_roles(namespace=None))] == ["sre"]
    [binding] = run(port.list_role_bindings(namespace="shop"))
    assert binding.role == ObjectRef(kind="Role", name="pod-reader", namespace="shop")
    assert [b.kind for b in run(port.list_role_bindings(namespace=None))] == ["ClusterRoleBinding"]
    alice, sre = Subject(kind="User", name="alice"), Subject(kind="Group", name="sre")
    read = run(port.who_can(verb="get", resource="pods", namespace="shop"))
    assert set(read.subjects) == {alice, sre}
    assert run(port.who_can(verb="delete", resource="pods", namespace="shop")).subjects == (sre,)
    assert run(port.who_can(verb="get", resource="pods", namespace="default")).subjects == (sre,)
    grant = next(g for g in read.grants if g.subject == alice)
    assert grant.binding == ObjectRef(kind="RoleBinding", name="alice-reads-pods", namespace="shop")


# --------------------------------------------------------------------- writes


def test_scale_sets_replicas(target: Target) -> None:
    web = run(target.port.scale(kind="Deployment", namespace="shop", name="web", replicas=5))
    assert web.desired == 5
    assert target.store.get("deployments", "web", "shop")["spec"]["replicas"] == 5
    run(target.port.scale(kind="StatefulSet", namespace="shop", name="worker", replicas=0))
    assert target.store.get("statefulsets", "worker", "shop")["spec"]["replicas"] == 0
    with pytest.raises(InvalidRequest):
        run(target.port.scale(kind="Deployment", namespace="shop", name="web", replicas=-1))


def test_rollout_restart_annotates_the_pod_template(target: Target) -> None:
    web = run(target.port.rollout_restart(kind="Deployment", namespace="shop", name="web"))
    assert web.restarted_at == "2026-06-01T09:00:00Z"
    template = target.store.get("deployments", "web", "shop")["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": "2026-06-01T09:00:00Z"
    }
    assert template["metadata"]["labels"] == {"app": "web"}  # merged, not replaced


def test_delete_pod(target: Target) -> None:
    run(target.port.delete_pod(namespace="shop", name="web-7d9f-oom"))
    assert [p["metadata"]["name"] for p in target.store.list("pods", "shop")] == [
        "web-7d9f-ok",
        "worker-0",
    ]
    with pytest.raises(NotFound, match='pods "web-7d9f-oom" not found'):
        run(target.port.delete_pod(namespace="shop", name="web-7d9f-oom"))


def test_cordon_and_uncordon(target: Target) -> None:
    assert run(target.port.cordon(node="node-a")).unschedulable
    assert target.store.get("nodes", "node-a")["spec"]["unschedulable"] is True
    assert not run(target.port.uncordon(node="node-a")).unschedulable
    assert "unschedulable" not in target.store.get("nodes", "node-a")["spec"]


def test_set_resources_merges_into_the_named_container(target: Target) -> None:
    web = run(
        target.port.set_resources(
            kind="Deployment", namespace="shop", name="web", container="app",
            limits={"memory": "512Mi"},
        )
    )  # fmt: skip
    assert web.containers[0].limits == {"memory": "512Mi"}
    assert web.containers[0].requests == {"cpu": "100m", "memory": "128Mi"}
    stored = target.store.get("deployments", "web", "shop")["spec"]["template"]["spec"]
    assert stored["containers"][0]["image"] == "registry.lab/shop-web:1.4"
    with pytest.raises(InvalidRequest, match='has no container "nope"'):
        run(
            target.port.set_resources(
                kind="Deployment", namespace="shop", name="web", container="nope",
                requests={"cpu": "1"},
            )
        )  # fmt: skip
    with pytest.raises(InvalidRequest, match="not a Kubernetes quantity"):
        run(
            target.port.set_resources(
                kind="Deployment", namespace="shop", name="web", container="app",
                limits={"memory": "lots"},
            )
        )  # fmt: skip


# --------------------------------------------------------------------- errors


def test_unknown_objects_are_not_found_with_the_servers_message(target: Target) -> None:
    with pytest.raises(NotFound) as caught:
        run(target.port.get_pod(namespace="shop", name="nope"))
    assert caught.value.message == "kubernetes lab: pods \"nope\" not found in namespace 'shop'"
    with pytest.raises(NotFound, match='deployments "api" not found'):
        run(target.port.get_workload(kind="Deployment", namespace="shop", name="api"))
    with pytest.raises(NotFound, match='nodes "node-z" not found'):
        run(target.port.cordon(node="node-z"))


def test_a_bad_selector_is_an_invalid_request(target: Target) -> None:
    with pytest.raises(InvalidRequest, match="unable to parse requirement"):
        run(target.port.list_pods(namespace="shop", selector="app in web"))


# ----------------------------------------------------------------------- RBAC


def test_rbac_allows_what_a_role_grants(as_user: Users) -> None:
    alice = as_user.ports["alice"]
    assert len(run(alice.list_pods(namespace="shop"))) == 3
    assert run(alice.get_pod(namespace="shop", name="web-7d9f-oom")).restarts == 4
    assert "out of memory" in run(
        alice.pod_logs(namespace="shop", pod="web-7d9f-oom", previous=True)
    )
    bob = as_user.ports["bob"]
    run(bob.scale(kind="Deployment", namespace="shop", name="web", replicas=3))
    assert as_user.store.get("deployments", "web", "shop")["spec"]["replicas"] == 3


def test_rbac_refusals_are_forbidden_with_the_servers_message(as_user: Users) -> None:
    alice = as_user.ports["alice"]
    with pytest.raises(Forbidden) as caught:
        run(alice.list_pods(namespace="default"))
    assert caught.value.message == (
        'kubernetes lab: pods is forbidden: User "alice" cannot list resource "pods" '
        'in API group "" in the namespace "default"'
    )
    with pytest.raises(Forbidden, match=r'cannot list resource "nodes" .* at the cluster scope'):
        run(alice.list_nodes())
    with pytest.raises(
        Forbidden,
        match=re.escape(
            'deployments.apps "web" is forbidden: User "alice" cannot patch resource '
            '"deployments/scale" in API group "apps" in the namespace "shop"'
        ),
    ):
        run(alice.scale(kind="Deployment", namespace="shop", name="web", replicas=9))
    with pytest.raises(Forbidden, match='pods "worker-0" is forbidden'):
        run(alice.delete_pod(namespace="shop", name="worker-0"))
    assert as_user.store.get("deployments", "web", "shop")["spec"]["replicas"] == 2
    assert as_user.store.get("pods", "worker-0", "shop")
    # Authorization comes before existence, as on a real API server.
    with pytest.raises(Forbidden):
        run(alice.get_workload(kind="Deployment", namespace="shop", name="nope"))
