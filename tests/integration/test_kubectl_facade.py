"""The real `kubectl` against the lab's Kubernetes REST facade.

Each test runs kubectl as a person would, with a kubeconfig written by `write_kubeconfig`, and
checks what it prints and what it changed in the store.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.kube.authz import Identity
from lab.kube.facade import facade_url, serve_facade
from lab.kube.kubeconfig import write_kubeconfig
from lab.kube.store import KubeStore
from tests.integration.kube_cluster import LabClock, build_cluster, run_metrics_server

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
TOKEN = "lab-token"


@dataclass
class Kubectl:
    store: KubeStore
    env: dict[str, str]

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        done = subprocess.run(
            [KUBECTL, *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        if ok:
            assert done.returncode == 0, done.stderr
        return done


@pytest.fixture
def kubectl(tmp_path: Path) -> Iterator[Kubectl]:
    store = build_cluster(KubeStore(cluster="lab", now=LabClock()))
    with serve_facade(store, token=TOKEN) as facade:
        kubeconfig = tmp_path / "kubeconfig"
        write_kubeconfig(
            kubeconfig,
            server=facade_url(facade),
            token=TOKEN,
            ca_pem=facade.ca_pem,
            namespace="shop",
        )
        # A home of its own: kubectl caches discovery per server under ~/.kube/cache.
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
        yield Kubectl(store, env | {"KUBECONFIG": str(kubeconfig), "NO_PROXY": "127.0.0.1"})


def test_get_nodes_and_pods_in_all_namespaces(kubectl: Kubectl) -> None:
    out = kubectl("get", "nodes,pods", "-A").stdout
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert ["node/node-b", "NotReady,SchedulingDisabled", "worker", "24h", "v1.32.0"] in lines
    assert ["node/node-a", "Ready", "worker", "24h", "v1.32.0"] in lines
    assert ["shop", "pod/web-7d9f-oom", "0/1", "CrashLoopBackOff", "4", "24h"] in lines
    assert ["shop", "pod/web-7d9f-ok", "1/1", "Running", "0", "24h"] in lines


def test_get_prints_each_kind_as_the_api_server_does(kubectl: Kubectl) -> None:
    out = kubectl("get", "all,events,endpoints").stdout
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert ["service/web", "ClusterIP", "10.96.0.20", "<none>", "80/TCP", "0s"] in lines
    assert ["replicaset.apps/web-7d9f", "2", "2", "1", "0s"] in lines
    assert ["statefulset.apps/worker", "1/1", "0s"] in lines
    assert ["endpoints/web", "10.244.0.10:8080", "0s"] in lines
    assert "Back-off restarting failed container app" in out
    assert ["0s", "Warning", "BackOff", "pod/web-7d9f-oom"] in [line[:4] for line in lines]
    wide = kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-2:] == ["IP", "NODE"]
    assert wide[2].split()[-2:] == ["10.244.0.11", "node-a"]


def test_get_with_a_selector_and_as_json(kubectl: Kubectl) -> None:
    out = kubectl("get", "pods", "-l", "app=worker", "-o", "name").stdout
    assert out.split() == ["pod/worker-0"]
    jsonpath = "{.items[*].metadata.name}"
    out = kubectl("get", "deploy,sts", "-o", f"jsonpath={jsonpath}").stdout
    assert out.split() == ["web", "worker"]
    pod = json.loads(kubectl("get", "pod", "web-7d9f-oom", "-o", "json").stdout)
    assert pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137


def test_describe_pod_shows_the_oom_kill_and_its_events(kubectl: Kubectl) -> None:
    out = kubectl("describe", "pod", "web-7d9f-oom").stdout
    for expected in (
        "Controlled By:  ReplicaSet/web-7d9f",
        "Reason:       CrashLoopBackOff",
        "Reason:       OOMKilled",
        "Exit Code:    137",
        "Restart Count:  4",
        "memory:  256Mi",
        "Back-off restarting failed container app",
    ):
        assert expected in out, out


def test_logs_and_previous_logs(kubectl: Kubectl) -> None:
    assert kubectl("logs", "web-7d9f-oom").stdout == "starting shop-web 1.4\n"
    previous = kubectl("logs", "web-7d9f-oom", "--previous").stdout
    assert previous.splitlines() == [
        "starting shop-web 1.4",
        "loading catalogue cache",
        "fatal: out of memory",
    ]
    assert kubectl("logs", "web-7d9f-ok", "--tail=1").stdout == "GET /checkout 200\n"
    assert kubectl("logs", "worker-0", "-c", "worker").stdout == "processing queue orders\n"


def test_scale_deployment(kubectl: Kubectl) -> None:
    out = kubectl("scale", "deployment", "web", "--replicas=4").stdout
    assert out.strip() == "deployment.apps/web scaled"
    assert kubectl.store.get("deployments", "web", "shop")["spec"]["replicas"] == 4


def test_rollout_restart_deployment(kubectl: Kubectl) -> None:
    out = kubectl("rollout", "restart", "deployment/web").stdout
    assert out.strip() == "deployment.apps/web restarted"
    template = kubectl.store.get("deployments", "web", "shop")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert template["spec"]["containers"][0]["name"] == "app"


def test_cordon_and_delete_pod(kubectl: Kubectl) -> None:
    assert kubectl("cordon", "node-a").stdout.strip() == "node/node-a cordoned"
    assert kubectl.store.get("nodes", "node-a")["spec"]["unschedulable"] is True
    assert kubectl("uncordon", "node-a").stdout.strip() == "node/node-a uncordoned"
    assert "unschedulable" not in kubectl.store.get("nodes", "node-a")["spec"]
    assert kubectl("delete", "pod", "worker-0").stdout.strip() == 'pod "worker-0" deleted'
    assert [p["metadata"]["name"] for p in kubectl.store.list("pods", "shop")] == [
        "web-7d9f-ok",
        "web-7d9f-oom",
    ]


def test_top_reads_the_metrics_api(kubectl: Kubectl) -> None:
    run_metrics_server(kubectl.store)
    pods = [line.split() for line in kubectl("top", "pod").stdout.splitlines()]
    assert ["web-7d9f-oom", "250m", "250Mi"] in pods
    nodes = [line.split()[:3] for line in kubectl("top", "node").stdout.splitlines()]
    assert ["node-a", "1200m", "31%"] in nodes


def test_apply_without_openapi_validation_creates_then_configures(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    manifest = tmp_path / "settings.yaml"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LEVEL: %s}\n"
    manifest.write_text(text % "info")
    out = kubectl("apply", "--validate=false", "-f", str(manifest)).stdout
    assert out.strip() == "configmap/settings created"
    manifest.write_text(text % "debug")
    out = kubectl("apply", "--validate=false", "-f", str(manifest)).stdout
    assert out.strip() == "configmap/settings configured"
    assert kubectl.store.get("configmaps", "settings", "shop")["data"] == {"LEVEL": "debug"}


def test_errors_are_reported_as_the_server_said(kubectl: Kubectl) -> None:
    missing = kubectl("get", "pod", "nope", ok=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): pods "nope" not found' in missing.stderr
    patch = '[{"op": "replace", "path": "/spec/replicas", "value": 1}]'
    refused = kubectl("patch", "deployment", "web", "--type=json", "-p", patch, ok=False)
    assert refused.returncode == 1 and "application/json-patch+json" in refused.stderr
    bad_token = dict(kubectl.env)
    config = Path(bad_token["KUBECONFIG"])
    config.write_text(config.read_text().replace(TOKEN, "wrong"))
    denied = kubectl("get", "pods", ok=False)
    assert "Unauthorized" in denied.stderr


def test_rbac_refusals_as_kubectl_prints_them(tmp_path: Path) -> None:
    store = build_cluster(KubeStore(cluster="lab", now=LabClock()))
    with serve_facade(store, users={"alice-token": Identity("alice")}) as facade:
        kubeconfig = write_kubeconfig(
            tmp_path / "kubeconfig",
            server=facade_url(facade),
            token="alice-token",
            ca_pem=facade.ca_pem,
            namespace="shop",
        )
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
        alice = Kubectl(store, env | {"KUBECONFIG": str(kubeconfig), "NO_PROXY": "127.0.0.1"})
        assert "web-7d9f-oom" in alice("get", "pods").stdout
        assert "fatal: out of memory" in alice("logs", "web-7d9f-oom", "--previous").stdout
        denied = alice("scale", "deployment", "web", "--replicas=0", ok=False)
        assert (
            'deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" '
            'in API group "apps" in the namespace "shop"'
        ) in denied.stderr
        assert store.get("deployments", "web", "shop")["spec"]["replicas"] == 2
        nodes = alice("get", "nodes", ok=False)
        assert "Error from server (Forbidden): nodes is forbidden" in nodes.stderr
        assert 'cannot list resource "nodes" in API group "" at the cluster scope' in nodes.stderr
