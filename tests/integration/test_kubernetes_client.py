"""The real client's configuration and failures: explicit server, token and CA; wrong tokens;
unreachable servers; kubeconfig problems; several clusters by name."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from connectors.kubernetes.client import KubernetesClient, connect_all
from core.errors import ConfigError, Forbidden, Unavailable
from core.settings import DatabaseSettings, KubernetesCluster, KubernetesSettings, Settings
from inventory.models import InventoryCluster
from lab.kube.facade import facade_url, serve_facade
from lab.kube.kubeconfig import write_kubeconfig
from lab.kube.port import LabKubernetes
from lab.kube.store import KubeStore
from pixelview.container import Container
from tests.integration.kube_cluster import LabClock, build_cluster


def _store() -> KubeStore:
    return build_cluster(KubeStore(cluster="lab", now=LabClock()))


def test_explicit_server_token_and_ca_over_tls(tmp_path: Path) -> None:
    with serve_facade(_store(), token="s3cret") as facade:
        assert facade.ca_pem is not None and facade_url(facade).startswith("https://")
        ca = tmp_path / "ca.crt"
        ca.write_bytes(facade.ca_pem)
        good = KubernetesCluster(
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
    config = KubernetesCluster(name="gone", server=f"http://127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(Unavailable, match="kubernetes gone"):
        asyncio.run(KubernetesClient.connect(config).list_namespaces())


def test_several_clusters_by_name_from_one_kubeconfig_each(tmp_path: Path) -> None:
    other = KubeStore(cluster="edge", now=LabClock())
    other.create("namespaces", {"metadata": {"name": "edge-only"}})
    with serve_facade(_store()) as lab, serve_facade(other) as edge:
        configs = [
            KubernetesCluster(
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
        KubernetesClient.connect(KubernetesCluster(name="x", kubeconfig=tmp_path / "missing"))
    config = write_kubeconfig(tmp_path / "kubeconfig", server="http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="kubernetes cluster 'y'"):
        KubernetesClient.connect(KubernetesCluster(name="y", kubeconfig=config, context="nope"))


def test_the_container_builds_a_client_per_configured_cluster_and_syncs_it(
    tmp_path: Path,
) -> None:
    with serve_facade(_store(), token="s3cret") as facade:
        assert facade.ca_pem is not None
        ca = tmp_path / "ca.crt"
        ca.write_bytes(facade.ca_pem)
        prod = KubernetesCluster(
            name="prod", server=facade_url(facade), token=SecretStr("s3cret"), ca_file=ca
        )
        settings = Settings(
            database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'pv.db'}"),
            kubernetes=KubernetesSettings(clusters=[prod]),
        )
        with pytest.raises(ConfigError, match="the name 'prod' is taken by the lab"):
            Container.build(settings, kubernetes={"prod": LabKubernetes(_store())})
        container = Container.build(settings)
        container.upgrade_database()
        try:
            assert isinstance(container.kubernetes["prod"], KubernetesClient)
            worker = container.worker()
            assert worker.poll() == 1 and worker.run_once() == 1
            with container.sessions() as session:
                [cluster] = session.exec(select(InventoryCluster)).all()
            assert cluster.name == "prod" and cluster.counts["Node"] == 2
        finally:
            container.close()
