"""Triage with no model, end to end: lab fault → webhook → incident → triage job → report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.triage.graph import Investigator
from core.clock import ManualClock
from core.settings import DatabaseSettings, MemorySettings, Settings
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault
from pixelview.container import Container
from pixelview.demo import LAB_CLUSTER, lab_webhook_path
from tests.integration.conftest import T0, Api

RUNBOOKS = {
    "k8s.oom_kill": "k8s-oom-killed",
    "k8s.crashloop_bad_config": "k8s-crashloop-bad-config",
    "k8s.image_pull": "k8s-image-pull-backoff",
    "k8s.node_not_ready": "k8s-node-not-ready",
    "k8s.pending_insufficient_cpu": "k8s-pending-insufficient-cpu",
}
"""The runbook of the shipped library each fault's report must cite first."""

CASES: dict[str, tuple[dict[str, str], dict[str, Any], str]] = {
    "k8s.oom_kill": (
        {"namespace": "payments", "deployment": "api"},
        {"cloud": "kubernetes", "kind": "Deployment", "namespace": "payments", "name": "api"},
        "resource.memory",
    ),
    "k8s.crashloop_bad_config": (
        {"namespace": "shop", "deployment": "checkout"},
        {"cloud": "kubernetes", "kind": "Deployment", "namespace": "shop", "name": "checkout"},
        "crash.config",
    ),
    "k8s.image_pull": (
        {"namespace": "payments", "deployment": "api"},
        {"cloud": "kubernetes", "kind": "Deployment", "namespace": "payments", "name": "api"},
        "image.pull",
    ),
    "k8s.node_not_ready": (
        {"node": "k8s-worker-02"},
        {"cloud": "kubernetes", "kind": "Node", "namespace": None, "name": "k8s-worker-02"},
        "host.down",
    ),
    "k8s.pending_insufficient_cpu": (
        {"namespace": "payments", "deployment": "api"},
        {"cloud": "kubernetes", "kind": "Deployment", "namespace": "payments", "name": "api"},
        "scheduling.capacity",
    ),
}


@pytest.fixture(scope="module")
def memory_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vector store for the module: the library is embedded once, then found unchanged."""
    return tmp_path_factory.mktemp("memory")


def triaged_incidents(
    database_url: str,
    api: Api,
    fault: str,
    memory_path: Path,
    *,
    investigator: Callable[[], Investigator | None] | None = None,
) -> list[dict[str, Any]]:
    """Inject `fault` 30 minutes before T0, deliver the lab's alerts, run the worker dry.

    With `investigator`, triage runs use it (and the worker runs triage jobs only); without,
    the container's own triage runs (mode `none`).
    """
    target, _, _ = CASES[fault]
    run = LabRun.start(
        seed=7,
        now=T0,
        schedule=[ScheduledFault(fault, target, at=timedelta(minutes=-30))],
        route=Route(group_wait=timedelta(0)),
    )
    settings = Settings(
        database=DatabaseSettings(url=database_url),
        data_dir=memory_path,
        memory=MemorySettings(path=memory_path / "chroma"),
    )
    container = Container.build(
        settings,
        clock=ManualClock(T0),
        kubernetes={LAB_CLUSTER: run.kubernetes()},
        investigator=investigator,
    )
    try:
        container.load_runbooks()
        path = lab_webhook_path(container, "lab-alertmanager")
        _, bodies = run.step(T0)
        assert bodies, f"{fault} raised no alert within 30 minutes"
        for body in bodies:
            assert api.post(path, body).status_code == 202
        worker = container.worker()
        while worker.run_once():
            pass
    finally:
        container.close()
    incidents = api.list("/api/v1/incidents")["items"]
    assert incidents
    return [api.list(f"/api/v1/incidents/{i['id']}/triage") for i in incidents]


@pytest.mark.parametrize("fault", sorted(CASES))
def test_each_fault_is_triaged_to_its_resource_and_category(
    database_url: str, api: Api, fault: str, memory_path: Path
) -> None:
    _, resource, category = CASES[fault]
    runs = triaged_incidents(database_url, api, fault, memory_path)
    for run in runs:
        assert run["status"] == "succeeded", run
        assert run["trigger"] == "opened" and run["mode"] == "none"
        report = run["report"]
        assert isinstance(report, dict)
        assert report["status"] == "determined", report["summary"]
        assert report["root_cause"] == resource, report["summary"]
        assert report["category"] == category
        assert report["evidence"] and all(e["tool"] == "k8s_analyze" for e in report["evidence"])
        calls = {c["call_id"]: c for c in run["tool_calls"]}
        assert all(e["call_id"] in calls for e in report["evidence"])
        assert report["flags"] == []
        cited = [r["runbook_id"] for r in report["runbooks"]]
        assert cited and cited[0] == RUNBOOKS[fault], (cited, report["summary"])
        assert report["runbooks"][0]["call_id"] in calls
        best = report["runbooks"][0]
        assert best["link"].startswith(f"/api/v1/runbooks/{cited[0]}#"), best
        assert "Runbook: " in report["summary"]


def test_a_second_occurrence_cites_the_first_incident_as_similar(
    database_url: str, api: Api, memory_path: Path
) -> None:
    [first] = triaged_incidents(database_url, api, "k8s.oom_kill", memory_path)
    first_id = first["incident_id"]
    resolved = api.post(
        f"/api/v1/incidents/{first_id}/resolve", {"note": "raised the memory limit to 512Mi"}
    )
    assert resolved.status_code == 200, resolved.text
    target, _, _ = CASES["k8s.oom_kill"]
    lab = LabRun.start(
        seed=7,
        now=T0,
        schedule=[ScheduledFault("k8s.oom_kill", target, at=timedelta(minutes=-30))],
        route=Route(group_wait=timedelta(0)),
    )
    settings = Settings(
        database=DatabaseSettings(url=database_url),
        data_dir=memory_path,
        memory=MemorySettings(path=memory_path / "chroma"),
    )
    container = Container.build(
        settings, clock=ManualClock(T0), kubernetes={LAB_CLUSTER: lab.kubernetes()}
    )
    try:
        worker = container.worker()
        while worker.run_once():  # the first incident goes into the memory
            pass
        [body] = lab.step(T0)[1]
        again = {
            **body,
            "groupKey": '{}:{alertname="KubePodCrashLooping",again="yes"}',
            "alerts": [{**a, "labels": {**a["labels"], "again": "yes"}, "fingerprint": ""}
                       for a in body["alerts"]],
        }  # fmt: skip
        integration_path = lab_webhook_path(container, "lab-alertmanager")
        answer = api.post(integration_path, again)
        assert answer.status_code == 202, answer.text
        second_id = answer.json()["alerts"][0]["incident_id"]
        assert second_id != first_id
        while worker.run_once():
            pass
    finally:
        container.close()
    report = api.list(f"/api/v1/incidents/{second_id}/triage")["report"]
    similar = report["similar_incidents"]
    assert [s["incident_id"] for s in similar][:1] == [str(first_id)], report["summary"]
    assert similar[0]["resolution"] == "raised the memory limit to 512Mi"
    assert similar[0]["link"] == f"/api/v1/incidents/{first_id}"
    assert f"Seen before: incident {first_id}." in report["summary"]
