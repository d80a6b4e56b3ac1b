"""The runbook API: list, read, search, upload, replace, delete and reload, with the audit log.

A real embedded Chroma store in the test's folder; the runbook folder is a copy of the
fixture runbooks, so the test can edit and remove files before reloading.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select

from api.app import create_app
from core.clock import ManualClock
from core.metrics import Metrics
from core.settings import Settings
from incidents.models.audit import AuditEntry
from incidents.models.people import Role
from memory.chroma import ChromaMemoryStore, embedded_client
from memory.embedder import Embedder
from memory.ingest import MAX_UPLOAD_BYTES
from memory.retrieval import DEFAULT_INCIDENT_THRESHOLD, DEFAULT_THRESHOLD
from tests.integration.conftest import T0, Api

FIXTURE_RUNBOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"
RUNBOOKS = "/api/v1/runbooks"

ETCD = """---
title: etcd is short of disk I/O
applies_to:
  cloud: kubernetes
  kinds: [Node]
  alerts: [EtcdHighFsyncDurations]
  categories: [resource.disk]
tags: [etcd, disk]
---
# etcd is short of disk I/O

## Symptoms

- `EtcdHighFsyncDurations` fires; API server requests slow down.

## Checks

- Look at `etcd_disk_wal_fsync_duration_seconds` on the control-plane nodes.

## Remediation

- Move etcd's data directory to a dedicated SSD.
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "runbooks"
    shutil.copytree(FIXTURE_RUNBOOKS, target)
    return target


@pytest.fixture
def memory(tmp_path: Path, embedder: Embedder) -> ChromaMemoryStore:
    return ChromaMemoryStore(
        embedded_client(tmp_path / "chroma"),
        where="embedded",
        embedder=embedder,
        clock=ManualClock(T0),
        threshold=DEFAULT_THRESHOLD,
        incident_threshold=DEFAULT_INCIDENT_THRESHOLD,
        collection_prefix=f"t{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture
def rb(api: Api, engine: Engine, memory: ChromaMemoryStore, folder: Path) -> Iterator[Api]:
    """The API with the memory store and the runbook folder, the folder loaded."""
    app = create_app(
        Settings(),
        engine=engine,
        metrics=Metrics("test"),
        version="test",
        clock=api.clock,
        memory=memory,
        runbooks_dir=folder,
    )
    with TestClient(app) as client:
        with_memory = Api(client, api.clock, api.sessions, api.headers)
        response = client.post(f"{RUNBOOKS}/reload", headers=api.headers)
        assert response.status_code == 200, response.text
        yield with_memory


def upload(api: Api, name: str, text: str | bytes, **form: str) -> Any:
    return api.client.post(
        RUNBOOKS,
        files={"file": (name, text, "text/markdown")},
        data=form,
        headers=api.headers,
    )


def audit_actions(api: Api) -> list[tuple[str, str]]:
    with api.sessions() as session:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action).startswith("runbook."))
            .order_by(col(AuditEntry.id))
        ).all()
        return [(r.action, r.target_id) for r in rows]


def test_the_folder_loads_and_lists_with_origin_and_link(rb: Api, folder: Path) -> None:
    listed = rb.list(RUNBOOKS)
    assert [r["id"] for r in listed] == sorted(p.stem for p in folder.glob("*.md"))
    oom = next(r for r in listed if r["id"] == "k8s-oom-killed")
    assert oom["origin"] == "folder" and oom["link"] == f"{RUNBOOKS}/k8s-oom-killed"
    assert oom["cloud"] == "kubernetes" and oom["chunks"] > 1 and len(oom["version"]) == 16
    assert audit_actions(rb) == [("runbook.reload", str(folder))]


def test_one_runbook_has_front_matter_sections_and_markdown(rb: Api, folder: Path) -> None:
    detail = rb.list(f"{RUNBOOKS}/k8s-oom-killed")
    text = (folder / "k8s-oom-killed.md").read_text(encoding="utf-8")
    assert detail["markdown"] == text
    assert detail["applies_to"]["alerts"] == ["KubePodCrashLooping", "KubePodNotReady"]
    assert [s["heading"] for s in detail["sections"]][:2] == ["Overview", "Symptoms"]
    raw = rb.client.get(f"{RUNBOOKS}/k8s-oom-killed/markdown", headers=rb.headers)
    assert raw.status_code == 200 and raw.text == text
    assert raw.headers["content-type"].startswith("text/markdown")
    missing = rb.client.get(f"{RUNBOOKS}/no-such-runbook", headers=rb.headers)
    assert missing.status_code == 404 and "no-such-runbook" in missing.json()["message"]


def test_search_answers_sections_or_no_good_match(rb: Api) -> None:
    found = rb.list(f"{RUNBOOKS}/search", q="container OOMKilled exit code 137", cloud="kubernetes")
    assert found["hits"][0]["runbook_id"] == "k8s-oom-killed"
    assert found["hits"][0]["score"] >= found["threshold"]
    nothing = rb.list(f"{RUNBOOKS}/search", q="How do I bake sourdough bread at home?")
    assert nothing["hits"] == [] and nothing["best_score"] < nothing["threshold"]
    params = {"q": "x", "cloud": "mainframe"}
    bad = rb.client.get(f"{RUNBOOKS}/search", params=params, headers=rb.headers)
    assert bad.status_code == 422 and "cloud" in bad.json()["message"]


def test_an_upload_is_created_replaced_unchanged_searched_and_deleted(rb: Api) -> None:
    created = upload(rb, "etcd-slow-disk.md", ETCD)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "created"
    assert created.json()["link"] == f"{RUNBOOKS}/etcd-slow-disk"
    again = upload(rb, "etcd-slow-disk.md", ETCD)
    assert (again.status_code, again.json()["status"]) == (200, "unchanged")
    edited = ETCD + "\n## Escalation\n\n- Page the platform team.\n"
    updated = upload(rb, "etcd-slow-disk.md", edited)
    assert (updated.status_code, updated.json()["status"]) == (200, "updated")
    assert updated.json()["version"] != created.json()["version"]

    detail = rb.list(f"{RUNBOOKS}/etcd-slow-disk")
    assert detail["origin"] == "upload" and detail["source"] == "upload:etcd-slow-disk.md"
    assert detail["sections"][-1]["heading"] == "Escalation"
    hits = rb.list(f"{RUNBOOKS}/search", q="EtcdHighFsyncDurations is firing")["hits"]
    assert hits[0]["runbook_id"] == "etcd-slow-disk"

    gone = rb.client.delete(f"{RUNBOOKS}/etcd-slow-disk", headers=rb.headers)
    assert gone.status_code == 204
    assert rb.client.get(f"{RUNBOOKS}/etcd-slow-disk", headers=rb.headers).status_code == 404
    assert rb.client.delete(f"{RUNBOOKS}/etcd-slow-disk", headers=rb.headers).status_code == 404
    assert audit_actions(rb)[1:] == [
        ("runbook.upload", "etcd-slow-disk"),
        ("runbook.upload", "etcd-slow-disk"),
        ("runbook.upload", "etcd-slow-disk"),
        ("runbook.delete", "etcd-slow-disk"),
    ]


def test_put_stores_the_body_under_the_id_of_the_path(rb: Api) -> None:
    headers = rb.headers | {"content-type": "text/markdown"}
    put = rb.client.put(f"{RUNBOOKS}/etcd-disk", content=ETCD, headers=headers)
    assert (put.status_code, put.json()["runbook_id"]) == (201, "etcd-disk")
    # The form field `id` names an upload too.
    named = upload(rb, "anything.md", ETCD, id="etcd-named")
    assert (named.status_code, named.json()["runbook_id"]) == (201, "etcd-named")
    ids = [r["id"] for r in rb.list(RUNBOOKS)]
    assert "etcd-disk" in ids and "etcd-named" in ids and "anything" not in ids


def test_folder_runbooks_are_neither_replaced_nor_deleted_here(rb: Api) -> None:
    replaced = upload(rb, "k8s-oom-killed.md", ETCD)
    assert replaced.status_code == 409
    assert "runbook folder" in replaced.json()["message"]
    deleted = rb.client.delete(f"{RUNBOOKS}/k8s-oom-killed", headers=rb.headers)
    assert deleted.status_code == 409 and "remove the file" in deleted.json()["message"]
    assert rb.list(f"{RUNBOOKS}/k8s-oom-killed")["title"].startswith("Pods OOMKilled")


@pytest.mark.parametrize(
    ("name", "content", "status", "named"),
    [
        ("plain.md", "# no front matter\n\nJust text.\n", 422, "upload:plain.md"),
        ("latin.md", "---\ntitle: caf\xe9\n---\n".encode("latin-1"), 422, "not UTF-8"),
        ("Bad_Name.md", ETCD, 422, "'Bad_Name'"),
        ("huge.md", ETCD + "x" * MAX_UPLOAD_BYTES, 413, f"{MAX_UPLOAD_BYTES} at most"),
        ("no-cloud.md", ETCD.replace("  cloud: kubernetes\n", ""), 422, "cloud"),
    ],
)
def test_bad_uploads_are_refused_naming_what_is_wrong(
    rb: Api, name: str, content: str | bytes, status: int, named: str
) -> None:
    before = rb.list(RUNBOOKS)
    refused = upload(rb, name, content)
    assert refused.status_code == status, refused.text
    assert named in refused.json()["message"]
    assert rb.list(RUNBOOKS) == before


def test_without_a_file_the_upload_names_the_missing_field(rb: Api) -> None:
    refused = rb.client.post(RUNBOOKS, data={"id": "x"}, headers=rb.headers)
    assert refused.status_code == 422 and "file" in refused.json()["message"]


def test_reload_stores_changed_files_and_forgets_removed_ones(rb: Api, folder: Path) -> None:
    upload(rb, "etcd-slow-disk.md", ETCD)
    (folder / "vsphere-datastore-full.md").unlink()
    edited = folder / "k8s-node-not-ready.md"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text + "\n## Notes\n\nMore.\n", encoding="utf-8")
    (folder / "etcd-folder.md").write_text(ETCD, encoding="utf-8")
    done = rb.post(f"{RUNBOOKS}/reload")
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["created"] == ["etcd-folder"] and body["updated"] == ["k8s-node-not-ready"]
    assert body["removed"] == ["vsphere-datastore-full"] and body["unchanged"] == 6
    ids = [r["id"] for r in rb.list(RUNBOOKS)]
    assert "vsphere-datastore-full" not in ids and "etcd-slow-disk" in ids  # uploads stay


def test_reload_refuses_a_folder_with_an_invalid_file_and_changes_nothing(
    rb: Api, folder: Path
) -> None:
    (folder / "broken.md").write_text("no front matter\n", encoding="utf-8")
    (folder / "k8s-oom-killed.md").unlink()
    refused = rb.post(f"{RUNBOOKS}/reload")
    assert refused.status_code == 422 and "broken.md" in refused.json()["message"]
    assert "k8s-oom-killed" in [r["id"] for r in rb.list(RUNBOOKS)]


def test_roles_viewers_read_responders_upload_admins_reload(rb: Api) -> None:
    viewer = rb.user(Role.VIEWER, "viewer@example.com")
    responder = rb.user(Role.RESPONDER, "responder@example.com")
    assert rb.client.get(RUNBOOKS, headers=viewer).status_code == 200
    files = {"file": ("etcd-slow-disk.md", ETCD, "text/markdown")}
    assert rb.client.post(RUNBOOKS, files=files, headers=viewer).status_code == 403
    assert rb.client.post(RUNBOOKS, files=files, headers=responder).status_code == 201
    assert rb.client.delete(f"{RUNBOOKS}/etcd-slow-disk", headers=viewer).status_code == 403
    assert rb.client.post(f"{RUNBOOKS}/reload", headers=responder).status_code == 403
    assert rb.client.get(RUNBOOKS).status_code == 401


def test_without_a_memory_store_the_endpoints_answer_503(api: Api) -> None:
    response = api.client.get(RUNBOOKS, headers=api.headers)
    assert response.status_code == 503 and "memory store" in response.json()["message"]
