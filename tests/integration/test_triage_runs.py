"""Triage runs: queued once per incident, asked for again, their report kept and shown."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from agents.triage.job import TriageHandler
from agents.triage.runner import TriageOutcome, TriageRunner
from core.jobs.models import Job
from core.jobs.queue import JobQueue, RetryPolicy
from core.jobs.worker import HandlerRegistry, Worker
from incidents.models.people import Role
from incidents.triage import TRIAGE_JOB, RunUsage, fail_run, finish_run, start_run
from incidents.triage_report import Evidence, ResourceRef, TriageReport
from tests.integration.conftest import Api
from tests.integration.test_incidents_api import open_incident

REPORT = TriageReport(
    status="determined",
    summary="The memory limit of payments/api was cut to 256Mi; its pods are OOMKilled.",
    root_cause=ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api"),
    category="resource.memory",
    confidence=0.9,
    evidence=[
        Evidence(
            summary="api-1 last terminated OOMKilled, exit code 137",
            tool="k8s_describe_pod",
            call_id="call-1",
            excerpt="lastState.terminated.reason: OOMKilled",
        )
    ],
    mode="none",
)


def test_an_opened_incident_has_a_run_queued_and_asking_again_returns_it(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM")
    opened = api.list(f"/api/v1/incidents/{incident}/triage")
    assert (opened["status"], opened["trigger"], opened["report"]) == ("queued", "opened", None)
    asked = api.post(f"/api/v1/incidents/{incident}/triage")
    assert asked.status_code == 202, asked.text
    assert asked.json()["id"] == opened["id"]  # still queued: no second run
    with api.sessions() as session:
        jobs = session.exec(select(Job).where(Job.kind == TRIAGE_JOB)).all()
        assert [j.payload for j in jobs] == [{"run_id": opened["id"]}]
        start_run(session, opened["id"], now=api.clock.now())
        session.commit()
    again = api.post(f"/api/v1/incidents/{incident}/triage").json()
    assert (again["trigger"], again["status"]) == ("requested", "queued")
    assert again["id"] != opened["id"]
    runs = api.list(f"/api/v1/incidents/{incident}/triage/runs")
    assert [r["status"] for r in runs] == ["queued", "running"]


def test_a_second_alert_of_the_incident_queues_no_second_run(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM", pod="a")
    assert open_incident(api, path, "PodOOM", pod="b") == incident
    assert len(api.list(f"/api/v1/incidents/{incident}/triage/runs")) == 1


def test_a_finished_run_shows_its_report_and_a_timeline_finding(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM")
    run_id = api.post(f"/api/v1/incidents/{incident}/triage").json()["id"]
    usage = RunUsage(
        mode="none",
        tool_calls=[{"tool": "k8s_describe_pod", "status": "ok", "ms": 3}],
        llm_calls=0,
    )
    with api.sessions() as session:
        start_run(session, run_id, now=api.clock.now())
        finish_run(session, run_id, REPORT, now=api.clock.now(), usage=usage)
        session.commit()
    latest = api.list(f"/api/v1/incidents/{incident}/triage")
    assert latest["status"] == "succeeded" and latest["mode"] == "none"
    assert TriageReport.model_validate(latest["report"]) == REPORT
    assert latest["tool_calls"] == usage.tool_calls
    [finding] = [
        e
        for e in api.list(f"/api/v1/incidents/{incident}/timeline")
        if e["kind"] == "agent_finding"
    ]
    assert finding["summary"].startswith("triage: Deployment payments/api (resource.memory).")
    assert finding["data"]["run_id"] == run_id and finding["data"]["confidence"] == 0.9


def test_a_failed_run_says_why(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM")
    run_id = api.post(f"/api/v1/incidents/{incident}/triage").json()["id"]
    with api.sessions() as session:
        fail_run(
            session, run_id, "kubernetes lab: Unavailable", now=api.clock.now(), usage=RunUsage()
        )
        session.commit()
    latest = api.list(f"/api/v1/incidents/{incident}/triage")
    assert (latest["status"], latest["error"]) == ("failed", "kubernetes lab: Unavailable")
    summaries = [e["summary"] for e in api.list(f"/api/v1/incidents/{incident}/timeline")]
    assert "triage failed: kubernetes lab: Unavailable" in summaries


def test_viewers_read_but_may_not_ask_and_unknown_incidents_are_404(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM")
    viewer = api.user(Role.VIEWER, "viewer@example.com")
    refused = api.client.post(f"/api/v1/incidents/{incident}/triage", headers=viewer)
    assert refused.status_code == 403
    missing = api.post("/api/v1/incidents/999999/triage")
    assert missing.status_code == 404 and "incident 999999 not found" in missing.json()["message"]


class BrokenRunner(TriageRunner):
    """A runner whose investigation blows up (a bug, a backend gone mid-run)."""

    async def triage(self, incident_id: int, *, run_id: int) -> TriageOutcome:
        del run_id
        raise RuntimeError(f"the cluster went away while triaging incident {incident_id}")


def test_a_triage_that_raises_is_recorded_failed_and_the_worker_goes_on(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM")
    run_id = api.list(f"/api/v1/incidents/{incident}/triage")["id"]
    runner = BrokenRunner(
        sessions=api.sessions, database_url="sqlite://", clock=api.clock, kubernetes={}
    )
    handler = TriageHandler(api.sessions, api.clock, runner)
    queue = JobQueue(api.sessions, api.clock, RetryPolicy(lease=timedelta(minutes=5)))
    registry = HandlerRegistry()
    registry.register(TRIAGE_JOB, handler)
    worker = Worker(queue, registry, concurrency=1, poll_interval_s=0.01)
    assert worker.run_once() == 1  # the job ran to its end: no exception reached the worker
    failed = api.list(f"/api/v1/incidents/{incident}/triage")
    assert (failed["id"], failed["status"]) == (run_id, "failed")
    assert failed["error"] == (
        f"RuntimeError: the cluster went away while triaging incident {incident}"
    )
    timeline = [e["summary"] for e in api.list(f"/api/v1/incidents/{incident}/timeline")]
    assert any(s.startswith("triage failed: RuntimeError: the cluster went away") for s in timeline)
    with api.sessions() as session:
        [job] = session.exec(select(Job).where(Job.kind == TRIAGE_JOB)).all()
        assert job.status == "succeeded"  # recorded on the run, not retried
