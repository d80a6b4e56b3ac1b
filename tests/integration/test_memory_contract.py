"""One contract, two targets: the memory store embedded (PersistentClient) and on a server.

The server target is a real `chroma run` on loopback (`lab/servers/chroma.py`), started
once per session; each test gets collections of its own (a fresh prefix) there and a
fresh folder in the embedded mode.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from core.clock import ManualClock
from core.errors import ConfigError, InvalidRequest, NotFound, Unavailable
from lab.servers.chroma import ChromaServer, chroma_server
from memory.chroma import ChromaMemoryStore, embedded_client, server_client
from memory.embedder import Embedder
from memory.ingest import ingest_folder, ingest_upload
from memory.models import (
    IncidentFilters,
    IncidentMemory,
    ResourceKey,
    RunbookFilters,
)
from memory.retrieval import DEFAULT_INCIDENT_THRESHOLD, DEFAULT_THRESHOLD
from memory.runbooks import RunbookError, load_runbook

T = TypeVar("T")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNBOOKS = FIXTURES / "runbooks"
QUERIES = yaml.safe_load((FIXTURES / "runbook_queries.yaml").read_text(encoding="utf-8"))
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with chroma_server(workdir=tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


def make_store(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder, **kwargs: Any
) -> ChromaMemoryStore:
    options: dict[str, Any] = {
        "embedder": embedder,
        "clock": ManualClock(T0),
        "threshold": DEFAULT_THRESHOLD,
        "incident_threshold": DEFAULT_INCIDENT_THRESHOLD,
        "collection_prefix": f"t{uuid.uuid4().hex[:12]}",
    } | kwargs
    if request.param == "embedded":
        return ChromaMemoryStore(embedded_client(tmp_path / "chroma"), where="embedded", **options)
    server: ChromaServer = request.getfixturevalue("chroma")
    return ChromaMemoryStore(server_client(server.host, server.port), where="server", **options)


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder) -> ChromaMemoryStore:
    return make_store(request, tmp_path, embedder)


@pytest.fixture(params=["embedded", "server"])
def library(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder
) -> ChromaMemoryStore:
    """A store holding the eight fixture runbooks."""
    loaded = make_store(request, tmp_path, embedder)
    run(ingest_folder(loaded, RUNBOOKS))
    return loaded


def runbook_copy(tmp_path: Path, name: str, *, edit: str | None = None) -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir(exist_ok=True)
    text = (RUNBOOKS / f"{name}.md").read_text(encoding="utf-8")
    target = folder / f"{name}.md"
    target.write_text(text + (edit or ""), encoding="utf-8")
    return target


# ---------------------------------------------------------------- runbooks


def test_upsert_stores_chunks_and_lists_the_runbook(store: ChromaMemoryStore) -> None:
    runbook = load_runbook(RUNBOOKS / "k8s-oom-killed.md")
    outcome = run(store.upsert_runbook(runbook))
    assert (outcome.status, outcome.runbook_id, outcome.version) == (
        "created",
        "k8s-oom-killed",
        runbook.version,
    )
    assert outcome.chunks == 4  # Overview, Symptoms, Checks, Remediation
    [info] = run(store.list_runbooks())
    assert (info.id, info.title, info.version, info.chunks, info.cloud) == (
        "k8s-oom-killed",
        runbook.title,
        runbook.version,
        4,
        "kubernetes",
    )
    assert info.updated == T0
    assert info.tags == ("kubernetes", "memory", "oom")
    stored = run(store.get_runbook("k8s-oom-killed"))
    assert stored.markdown == runbook.markdown
    assert stored.source.endswith("tests/fixtures/runbooks/k8s-oom-killed.md")


def test_the_same_content_again_changes_nothing(store: ChromaMemoryStore) -> None:
    runbook = load_runbook(RUNBOOKS / "k8s-oom-killed.md")
    run(store.upsert_runbook(runbook))
    again = run(store.upsert_runbook(runbook))
    assert (again.status, again.chunks) == ("unchanged", 4)


def test_a_new_version_replaces_the_old_chunks(store: ChromaMemoryStore, tmp_path: Path) -> None:
    path = runbook_copy(tmp_path, "k8s-oom-killed")
    first = run(store.upsert_runbook(load_runbook(path)))
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "## Remediation",
            "## Escalation\n\nPage the payments team when the limit cannot be raised.\n\n"
            "## Remediation",
        ),
        encoding="utf-8",
    )
    second = run(store.upsert_runbook(load_runbook(path)))
    assert second.status == "updated"
    assert second.version != first.version
    assert second.chunks == 5
    [info] = run(store.list_runbooks())
    assert (info.version, info.chunks) == (second.version, 5)
    found = run(store.search_runbooks("page the payments team when the limit cannot be raised"))
    assert found.hits[0].section == "Escalation"
    assert {h.version for h in found.hits} == {second.version}  # no chunk of the old version


def test_delete_removes_the_runbook_and_its_chunks(library: ChromaMemoryStore) -> None:
    run(library.delete_runbook("k8s-oom-killed"))
    assert "k8s-oom-killed" not in {r.id for r in run(library.list_runbooks())}
    found = run(library.search_runbooks("container OOMKilled, exit code 137, memory limit", k=10))
    assert "k8s-oom-killed" not in {h.runbook_id for h in found.hits}
    with pytest.raises(NotFound, match="k8s-oom-killed"):
        run(library.delete_runbook("k8s-oom-killed"))
    with pytest.raises(NotFound, match="k8s-oom-killed"):
        run(library.get_runbook("k8s-oom-killed"))


def test_ingest_folder_prunes_runbooks_whose_file_is_gone(
    store: ChromaMemoryStore, tmp_path: Path
) -> None:
    runbook_copy(tmp_path, "k8s-oom-killed")
    gone = runbook_copy(tmp_path, "vsphere-datastore-full")
    run(ingest_upload(store, filename="notes.md", content=gone.read_bytes(), runbook_id="notes"))
    first = run(ingest_folder(store, tmp_path / "runbooks"))
    assert (first.count("created"), first.removed) == (2, [])
    gone.unlink()
    second = run(ingest_folder(store, tmp_path / "runbooks"))
    assert (second.count("unchanged"), second.removed) == (1, ["vsphere-datastore-full"])
    assert [r.id for r in run(store.list_runbooks())] == ["k8s-oom-killed", "notes"]


def test_an_invalid_upload_stores_nothing(store: ChromaMemoryStore) -> None:
    with pytest.raises(RunbookError, match=r"upload:bad\.md: applies_to\.cloud"):
        run(
            ingest_upload(
                store,
                filename="bad.md",
                content="---\ntitle: x\napplies_to: {cloud: aws}\n---\n# x\nbody\n",
            )
        )
    assert run(store.list_runbooks()) == []


# ---------------------------------------------------------------- search


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"][:40] for q in QUERIES])
def test_labelled_queries(library: ChromaMemoryStore, case: dict[str, Any]) -> None:
    found = run(library.search_runbooks(case["query"], k=3))
    if case["expect"] is None:
        assert found.no_good_match, found.hits[0]
        assert found.best_score is not None and found.best_score < DEFAULT_THRESHOLD
        assert found.nearest is not None
    else:
        assert not found.no_good_match
        assert found.hits[0].runbook_id == case["expect"], found.hits[0]


def test_a_hit_carries_source_section_and_score(library: ChromaMemoryStore) -> None:
    found = run(library.search_runbooks("KubeNodeNotReady: kubelet stopped posting status"))
    top = found.hits[0]
    assert top.runbook_id == "k8s-node-not-ready"
    assert top.title == "Kubernetes node NotReady"
    assert top.section in {"Overview", "Symptoms", "Checks", "Remediation"}
    assert top.source.endswith("k8s-node-not-ready.md")
    assert top.text.startswith("Kubernetes node NotReady")
    assert "alert:KubeNodeNotReady" in top.matched
    assert top.score == pytest.approx(top.similarity + top.boost, abs=1e-3)
    assert all(h.score >= found.threshold for h in found.hits)
    assert [h.score for h in found.hits] == sorted((h.score for h in found.hits), reverse=True)


def test_filters_by_cloud_kind_alert_and_category(library: ChromaMemoryStore) -> None:
    query = "the service is down"
    by_cloud = run(library.search_runbooks(query, filters=RunbookFilters(cloud="vsphere"), k=10))
    assert {h.runbook_id for h in by_cloud.hits} <= {
        "vsphere-datastore-full",
        "vsphere-host-disconnected",
    }
    query = "hosts and servers failing"
    by_kind = run(library.search_runbooks(query, filters=RunbookFilters(kind="HostSystem"), k=10))
    assert {h.runbook_id for h in by_kind.hits} == {"vsphere-host-disconnected"}
    crash = RunbookFilters(cloud="kubernetes", alert="KubePodCrashLooping")
    by_alert = run(library.search_runbooks("pods restarting", filters=crash, k=10))
    assert {h.runbook_id for h in by_alert.hits} == {"k8s-oom-killed", "k8s-crashloop-bad-config"}
    memory = RunbookFilters(category="resource.memory")
    by_category = run(library.search_runbooks("pods restarting", filters=memory, k=10))
    assert {h.runbook_id for h in by_category.hits} == {"k8s-oom-killed"}
    nothing = RunbookFilters(cloud="openstack", kind="Datastore")
    empty = run(library.search_runbooks("datastore full", filters=nothing))
    assert empty.no_good_match and empty.best_score is None and empty.nearest is None


def test_an_alert_name_alone_finds_its_runbook(library: ChromaMemoryStore) -> None:
    found = run(library.search_runbooks("OpenStackNovaComputeDown", k=1))
    assert found.hits[0].runbook_id == "openstack-instance-error"
    assert "alert:OpenStackNovaComputeDown" in found.hits[0].matched


def test_a_filter_few_chunks_pass_falls_back_to_the_filtered_query(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder, store: ChromaMemoryStore
) -> None:
    del store  # only for its mode
    request.param = request.node.callspec.params["store"]
    narrow = make_store(request, tmp_path, embedder, candidates=1)
    run(ingest_folder(narrow, RUNBOOKS))
    only_hosts = RunbookFilters(kind="HostSystem")
    found = run(
        narrow.search_runbooks("pods OOMKilled at their memory limit", filters=only_hosts, k=1)
    )
    # The 12 nearest chunks are all about pods; the filtered query still finds the host's.
    assert found.best_score is not None
    best = found.hits[0] if found.hits else found.nearest
    assert best is not None and best.runbook_id == "vsphere-host-disconnected"


def test_a_new_alert_joins_the_key_lookup_at_once(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder, store: ChromaMemoryStore
) -> None:
    del store  # only for its mode
    request.param = request.node.callspec.params["store"]
    narrow = make_store(request, tmp_path, embedder, candidates=1)  # 4 nearest chunks for k=1
    run(ingest_folder(narrow, RUNBOOKS))
    before = run(narrow.search_runbooks("ZzTopAlertFiring", k=1))  # also fills the key cache
    assert before.nearest is not None and not before.nearest.matched
    path = runbook_copy(tmp_path, "vsphere-datastore-full")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "alerts: [VSphereDatastoreSpaceLow]",
            "alerts: [VSphereDatastoreSpaceLow, ZzTopAlertFiring]",
        ),
        encoding="utf-8",
    )
    run(narrow.upsert_runbook(load_runbook(path)))
    after = run(narrow.search_runbooks("ZzTopAlertFiring", k=1))
    best = after.hits[0] if after.hits else after.nearest
    # Found by the key lookup (its text is far from the query), boosted for the alert.
    assert best is not None and best.runbook_id == "vsphere-datastore-full"
    assert best.matched == ("alert:ZzTopAlertFiring",)


def test_search_of_an_empty_store_is_no_good_match(store: ChromaMemoryStore) -> None:
    found = run(store.search_runbooks("anything at all"))
    assert found.no_good_match and found.best_score is None


def test_k_out_of_range_is_refused(store: ChromaMemoryStore) -> None:
    with pytest.raises(InvalidRequest, match="k must be"):
        run(store.search_runbooks("x", k=0))


# ---------------------------------------------------------------- incidents

OOM = IncidentMemory(
    incident_id="inc-1",
    summary="payments/api pods crash-looping, OOMKilled at their 256Mi memory limit",
    resources=(
        ResourceKey(cloud="kubernetes", kind="Deployment", namespace="payments", name="api"),
    ),
    root_cause="memory limit lowered from 1Gi to 256Mi by a deployment change",
    category="resource.memory",
    resolution="raised the memory limit back to 1Gi",
    time_to_resolve_s=1860,
    resolved_at=T0 - timedelta(days=3),
)
DATASTORE = IncidentMemory(
    incident_id="inc-2",
    summary="datastore ds-02 full, VMs paused",
    resources=(ResourceKey(cloud="vsphere", kind="Datastore", name="ds-02"),),
    root_cause="old snapshots filled the datastore",
    category="storage.full",
    resolution="deleted snapshots older than 30 days",
    time_to_resolve_s=5400,
)


def test_similar_past_incidents(store: ChromaMemoryStore) -> None:
    run(store.record_incident(OOM))
    run(store.record_incident(DATASTORE))
    found = run(store.search_incidents("checkout pods OOMKilled, memory limit too low"))
    assert [h.incident.incident_id for h in found.hits] == ["inc-1"]
    assert found.hits[0].incident == OOM  # every field comes back
    unrelated = run(store.search_incidents("LDAP logins fail with invalid credentials"))
    assert unrelated.no_good_match and unrelated.nearest is not None


def test_incident_filters_and_replacement(store: ChromaMemoryStore) -> None:
    run(store.record_incident(OOM))
    run(store.record_incident(DATASTORE))
    vsphere = run(
        store.search_incidents("pods OOMKilled", filters=IncidentFilters(cloud="vsphere"))
    )
    assert all(h.incident.incident_id == "inc-2" for h in vsphere.hits)
    api = OOM.resources[0]
    by_resource = IncidentFilters(resource=api, category="resource.memory")
    assert [
        h.incident.incident_id
        for h in run(
            store.search_incidents(
                "payments api OOMKilled at its memory limit", filters=by_resource
            )
        ).hits
    ] == ["inc-1"]
    run(store.record_incident(OOM.model_copy(update={"resolution": "rolled back the change"})))
    again = run(store.search_incidents("payments pods OOMKilled memory limit"))
    assert [h.incident.resolution for h in again.hits] == ["rolled back the change"]
    run(store.forget_incident("inc-1"))
    with pytest.raises(NotFound, match="inc-1"):
        run(store.forget_incident("inc-1"))


# ---------------------------------------------------------------- the stores themselves


def test_check_reaches_the_store(store: ChromaMemoryStore) -> None:
    run(store.check())


def test_a_server_that_is_not_there_is_unavailable(embedder: Embedder) -> None:
    with socket.socket() as sock:  # a port nothing listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    store = ChromaMemoryStore(
        server_client("127.0.0.1", port),
        where="Chroma server",
        embedder=embedder,
        clock=ManualClock(T0),
        threshold=DEFAULT_THRESHOLD,
        incident_threshold=DEFAULT_INCIDENT_THRESHOLD,
        timeout_s=10,
    )
    with pytest.raises(Unavailable, match="Chroma server"):
        run(store.list_runbooks())


def test_embedded_data_survive_a_new_client(tmp_path: Path, embedder: Embedder) -> None:
    options: dict[str, Any] = {
        "where": "embedded",
        "embedder": embedder,
        "clock": ManualClock(T0),
        "threshold": DEFAULT_THRESHOLD,
        "incident_threshold": DEFAULT_INCIDENT_THRESHOLD,
    }
    first = ChromaMemoryStore(embedded_client(tmp_path / "chroma"), **options)
    run(first.upsert_runbook(load_runbook(RUNBOOKS / "k8s-node-not-ready.md")))
    second = ChromaMemoryStore(embedded_client(tmp_path / "chroma"), **options)
    assert [r.id for r in run(second.list_runbooks())] == ["k8s-node-not-ready"]


def test_collections_of_another_model_are_refused(tmp_path: Path, embedder: Embedder) -> None:
    class Other(Embedder):
        @property
        def model_id(self) -> str:
            return "another-model"

    options: dict[str, Any] = {
        "where": "embedded",
        "clock": ManualClock(T0),
        "threshold": DEFAULT_THRESHOLD,
        "incident_threshold": DEFAULT_INCIDENT_THRESHOLD,
    }
    run(ChromaMemoryStore(embedded_client(tmp_path), embedder=embedder, **options).check())
    other = ChromaMemoryStore(embedded_client(tmp_path), embedder=Other(), **options)
    with pytest.raises(ConfigError, match="another-model"):
        run(other.list_runbooks())
