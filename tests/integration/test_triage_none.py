"""Triage with no model, end to end: lab fault → webhook → incident → triage job → report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from agents.triage.graph import Investigator
from agents.triage.job import TriageHandler
from agents.triage.runner import TriageRunner
from core.clock import ManualClock
from core.settings import DatabaseSettings, Settings
from incidents.triage import TRIAGE_JOB
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault
from pixelview.container import Container
from pixelview.demo import LAB_CLUSTER, lab_webhook_path
from tests.integration.conftest import T0, Api

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


def triaged_incidents(
    database_url: str,
    api: Api,
    fault: str,
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
    settings = Settings(database=DatabaseSettings(url=database_url))
    container = Container.build(
        settings, clock=ManualClock(T0), kubernetes={LAB_CLUSTER: run.kubernetes()}
    )
    if investigator is not None:
        runner = TriageRunner(
            sessions=container.sessions,
            database_url=settings.database_url(),
            clock=container.clock,
            kubernetes=container.kubernetes,
            investigator=investigator,
        )
        handler = TriageHandler(container.sessions, container.clock, runner)
        container.handlers.register(TRIAGE_JOB, handler)
    try:
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
    database_url: str, api: Api, fault: str
) -> None:
    _, resource, category = CASES[fault]
    runs = triaged_incidents(database_url, api, fault)
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
