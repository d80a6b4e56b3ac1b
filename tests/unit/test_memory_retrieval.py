"""Hybrid retrieval's pure part: terms, identifiers, filters, boosts and ranking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.settings import MemorySettings, Settings
from memory.models import (
    AppliesTo,
    IncidentFilters,
    IncidentMemory,
    ResourceKey,
    RunbookChunk,
    RunbookFilters,
)
from memory.records import (
    chunk_id,
    chunk_metadata,
    incident_from,
    incident_metadata,
    incident_text,
    runbook_info,
    runbook_metadata,
)
from memory.retrieval import (
    ALERT_BOOST,
    DEFAULT_INCIDENT_THRESHOLD,
    DEFAULT_THRESHOLD,
    KIND_BOOST,
    MAX_BOOST,
    TAG_BOOST,
    Candidate,
    identifiers,
    incident_where,
    keyword_boost,
    keyword_where,
    missing_from,
    passes,
    query_terms,
    rank,
    runbook_where,
    text_where,
)
from memory.runbooks import load_runbook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"
APPLIES = AppliesTo(
    cloud="kubernetes",
    kinds=("Deployment", "Pod"),
    alerts=("KubePodCrashLooping",),
    labels={"severity": "critical"},
    categories=("resource.memory",),
)


def metadata(**changes: Any) -> dict[str, Any]:
    chunk = RunbookChunk(runbook_id="k8s-oom", index=1, section="Checks", text="t")
    meta = chunk_metadata(
        chunk,
        title="Pods OOMKilled",
        applies_to=APPLIES,
        tags=("memory", "oom"),
        version="abc",
        source="lib/k8s-oom.md",
        updated="2026-11-22T10:00:00+00:00",
    )
    return meta | changes


def test_the_settings_defaults_are_the_measured_ones() -> None:
    assert MemorySettings().threshold == DEFAULT_THRESHOLD
    assert MemorySettings().incident_threshold == DEFAULT_INCIDENT_THRESHOLD


def test_the_store_path_defaults_under_the_data_dir(tmp_path: Any) -> None:
    assert Settings(data_dir=tmp_path).memory_path() == tmp_path / "chroma"
    custom = Settings(memory=MemorySettings(path=tmp_path / "vectors"))
    assert custom.memory_path() == tmp_path / "vectors"


def test_chunk_metadata_lists_and_terms() -> None:
    meta = metadata()
    assert meta["kinds"] == ["Deployment", "Pod"]
    assert meta["alerts"] == ["KubePodCrashLooping"]
    assert meta["labels"] == ["severity=critical"]
    assert meta["keys"] == ["kubepodcrashlooping", "severity=critical"]
    bare = RunbookChunk(runbook_id="x", index=0, section="Overview", text="t")
    empty = chunk_metadata(
        bare,
        title="x",
        applies_to=AppliesTo(cloud="vsphere"),
        tags=(),
        version="v",
        source="s",
        updated="u",
    )
    assert not {"kinds", "alerts", "categories", "tags", "labels", "keys"} & set(empty)


def test_query_terms_and_identifiers() -> None:
    query = (
        "KubePodCrashLooping on payments/api: OOMKilled, exit code 137 (DATABASE_URL) in the pod"
    )
    terms = query_terms(query)
    assert "kubepodcrashlooping" in terms and "pod" in terms and "payments/api" in terms
    assert "the" not in terms and "in" not in terms
    assert identifiers(query) == ["KubePodCrashLooping", "OOMKilled", "137", "DATABASE_URL"]
    assert identifiers("pods restart after the change") == []


def test_where_clauses() -> None:
    assert runbook_where(None) is None
    assert runbook_where(RunbookFilters()) is None
    assert runbook_where(RunbookFilters(cloud="vsphere")) == {"cloud": "vsphere"}
    assert runbook_where(RunbookFilters(cloud="kubernetes", alert="A", kind="Pod")) == {
        "$and": [
            {"cloud": "kubernetes"},
            {"kinds": {"$contains": "Pod"}},
            {"alerts": {"$contains": "A"}},
        ]
    }
    assert keyword_where(None, []) is None
    assert keyword_where(None, ["oom"]) == {"keys": {"$contains": "oom"}}
    assert keyword_where(RunbookFilters(category="resource.memory"), ["a", "b"]) == {
        "$and": [
            {"categories": {"$contains": "resource.memory"}},
            {"$or": [{"keys": {"$contains": "a"}}, {"keys": {"$contains": "b"}}]},
        ]
    }
    assert text_where([]) is None
    assert text_where(["OOMKilled"]) == {"$contains": "OOMKilled"}
    resource = ResourceKey(cloud="kubernetes", kind="Deployment", namespace="payments", name="api")
    assert incident_where(IncidentFilters(resource=resource, category="resource.memory")) == {
        "$and": [
            {"category": "resource.memory"},
            {"resources": {"$contains": "kubernetes/Deployment/payments/api"}},
        ]
    }


def test_keyword_boosts_add_up_to_a_cap() -> None:
    boost, matched = keyword_boost(["kubepodcrashlooping"], metadata())
    assert (boost, matched) == (ALERT_BOOST, ("alert:KubePodCrashLooping",))
    boost, matched = keyword_boost(["pod", "memory"], metadata())
    assert boost == pytest.approx(KIND_BOOST + TAG_BOOST)
    assert matched == ("kind:Pod", "tag:memory")
    boost, matched = keyword_boost(
        ["kubepodcrashlooping", "pod", "memory", "severity=critical"],
        metadata(),
        ids=["OOMKilled", "137", "ErrImagePull"],
        document="Pods OOMKilled with exit code 137.",
    )
    assert boost == MAX_BOOST
    assert "text:OOMKilled" in matched and "text:137" in matched
    assert keyword_boost(["nothing"], metadata(), ids=["X1"], document="x") == (0.0, ())


def test_rank_dedupes_thresholds_and_keeps_the_nearest() -> None:
    def cand(
        cid: str, similarity: float, section: str = "Checks", version: str = "v1"
    ) -> Candidate:
        meta = metadata(section=section, version=version)
        return Candidate(
            id=cid, document=f"text of {section}", metadata=meta, similarity=similarity
        )

    hits, best = rank(
        [
            cand("a", 0.5),
            cand("a-again", 0.55),  # the same section found by the keyword lookup
            cand("b", 0.45, "Symptoms"),
            cand("c", 0.2, "Remediation"),
        ],
        [],
        k=5,
        threshold=0.3,
    )
    assert [(h.section, h.score) for h in hits] == [("Checks", 0.55), ("Symptoms", 0.45)]
    assert best is not None and best.score == 0.55
    none, nearest = rank([cand("c", 0.2)], [], k=5, threshold=0.3)
    assert none == [] and nearest is not None and nearest.score == 0.2
    assert rank([], [], k=5, threshold=0.3) == ([], None)
    top, _ = rank([cand(str(i), 0.9 - i / 100, f"S{i}") for i in range(10)], [], k=3, threshold=0)
    assert [h.section for h in top] == ["S0", "S1", "S2"]


def test_post_filtering_agrees_with_the_where_clause() -> None:
    meta = metadata()
    assert passes(None, meta) and passes(RunbookFilters(), meta)
    assert passes(RunbookFilters(cloud="kubernetes", kind="Pod", alert="KubePodCrashLooping"), meta)
    assert passes(RunbookFilters(category="resource.memory"), meta)
    assert not passes(RunbookFilters(cloud="vsphere"), meta)
    assert not passes(RunbookFilters(kind="Node"), meta)
    assert not passes(RunbookFilters(alert="KubeNodeNotReady"), meta)
    assert not passes(RunbookFilters(category="image.pull"), meta)
    bare = {"cloud": "kubernetes"}  # a runbook that lists no kinds, alerts or categories
    assert not passes(RunbookFilters(kind="Pod"), bare)
    assert passes(RunbookFilters(cloud="kubernetes"), bare)


def test_runbook_records_round_trip() -> None:
    runbook = load_runbook(FIXTURES / "k8s-oom-killed.md")
    meta = runbook_metadata(runbook, chunks=4, updated="2026-11-22T10:00:00+00:00")
    assert meta["keys"] == ["kubepodcrashlooping", "kubepodnotready"]
    info = runbook_info(runbook.id, meta)
    assert (info.id, info.version, info.chunks, info.cloud) == (
        "k8s-oom-killed",
        runbook.version,
        4,
        "kubernetes",
    )
    assert info.updated.isoformat() == "2026-11-22T10:00:00+00:00"
    assert chunk_id("a", "v1", 3) == "a@v1#3"


def test_incident_records_round_trip() -> None:
    incident = IncidentMemory(
        incident_id="inc-7",
        summary="datastore full",
        resources=(
            ResourceKey(cloud="vsphere", kind="Datastore", name="ds-1"),
            ResourceKey(cloud="vsphere", kind="VirtualMachine", name="vm-1"),
        ),
        root_cause="old snapshots",
        category="storage.full",
    )
    meta = incident_metadata(incident)
    assert meta["clouds"] == ["vsphere"]
    assert meta["resources"] == ["vsphere/Datastore/-/ds-1", "vsphere/VirtualMachine/-/vm-1"]
    assert incident_from(meta) == incident
    assert incident_text(incident) == (
        "datastore full\nCategory: storage.full\nRoot cause: old snapshots"
    )
    assert "clouds" not in incident_metadata(IncidentMemory(incident_id="x", summary="s"))


def test_identifiers_no_neighbour_holds_are_looked_up() -> None:
    documents = ["Pods OOMKilled at their limit", "exit code 137 means SIGKILL"]
    assert missing_from(["OOMKilled", "137", "ErrImagePull"], documents) == ["ErrImagePull"]
    assert missing_from(["oomkilled"], documents) == []
    assert missing_from([], documents) == []
