"""The real client's configuration and failures: explicit server, token and CA; wrong tokens;
unreachable servers; kubeconfig problems; several clusters by name."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.kubernetes.client import ClusterConfig, KubernetesClient, connect_all
from core.errors import ConfigError, Forbidden, Unavailable
from lab.kube.facade import facade_url, serve_facade
from lab.kube.kubeconfig import write_kubeconfig
from lab.kube.store import KubeStore
from tests.integration.kube_cluster import LabClock, build_cluster


def _store() -> KubeStore:
    return build_cluster(KubeStore(cluster="lab", now=LabClock()))


def test_explicit_server_token_and_ca_over_tls(tmp_path: Path) -> None:
    with serve_facade(_store(), token="s3cret") as facade:
        assert facade.ca_pem is not None and facade_url(facade).startswith("https://")
        ca = tmp_path / "ca.crt"
        ca.write_bytes(facade.ca_pem)
        good = ClusterConfig(
            name="prod", server=facade_url(facade), token=SecretStr("s3cret"), ca_file=ca
        )
        names = [n.name for n in asyncio.run(KubernetesClient.connect(good).list_nodes())]
        assert names == ["node-a", "node-b"]
        bad = good.model_copy(update={"token": SecretStr("wrong")})
        with pytest.raises(Forbidden, match="kubernetes prod: Unauthorized"):
            asyncio.run(KubernetesClient.connect(bad).list_nodes())


def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = ClusterConfig(name="gone", server=f"http://127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(Unavailable, match="kubernetes gone"):
        asyncio.run(KubernetesClient.connect(config).list_namespaces())


def test_several_clusters_by_name_from_one_kubeconfig_each(tmp_path: Path) -> None:
    other = KubeStore(cluster="edge", now=LabClock())
    other.create("namespaces", {"metadata": {"name": "edge-only"}})
    with serve_facade(_store()) as lab, serve_facade(other) as edge:
        configs = [
            ClusterConfig(
                name=name,
                kubeconfig=write_kubeconfig(tmp_path / name, server=facade_url(f), cluster=name),
                context=name,
            )
            for name, f in (("lab", lab), ("edge", edge))
        ]
        clients = connect_all(configs)
        assert sorted(clients) == ["edge", "lab"]
        edge_names = [n.name for n in asyncio.run(clients["edge"].list_namespaces())]
        assert edge_names == ["edge-only"]
        assert len(asyncio.run(clients["lab"].list_namespaces())) == 3


def test_a_bad_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kubernetes cluster 'x'"):
        KubernetesClient.connect(ClusterConfig(name="x", kubeconfig=tmp_path / "missing"))
    config = write_kubeconfig(tmp_path / "kubeconfig", server="http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="kubernetes cluster 'y'"):
        KubernetesClient.connect(ClusterConfig(name="y", kubeconfig=config, context="nope"))
