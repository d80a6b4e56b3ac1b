"""`pixelview triage <id>` as a user runs it: a real process, a configured cluster, a report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.clock import ManualClock
from core.settings import DatabaseSettings, Settings
from incidents.alerts.schema import Source
from incidents.alerts.sources.alertmanager import normalize_alertmanager
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault
from lab.kube.facade import facade_url, serve_facade
from pixelview.container import Container
from tests.e2e.test_cli import run

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def lab_incident(database: Path) -> tuple[LabRun, int]:
    """An OOM-killed payments/api in a lab, and the incident its alerts opened."""
    lab = LabRun.start(
        seed=7,
        now=T0,
        schedule=[
            ScheduledFault(
                "k8s.oom_kill",
                {"namespace": "payments", "deployment": "api"},
                at=timedelta(minutes=-30),
            )
        ],
        route=Route(group_wait=timedelta(0)),
    )
    settings = Settings(database=DatabaseSettings(url=f"sqlite:///{database}"))
    container = Container.build(settings, clock=ManualClock(T0))
    container.upgrade_database()
    try:
        with container.sessions() as session:
            integration, _ = create_integration(
                session,
                IntegrationCreate(name="lab", source=Source.ALERTMANAGER),
                now=T0,
                actor="test",
            )
            session.commit()
        [body] = lab.step(T0)[1]
        ingest = IngestService(container.sessions, container.clock, triage=False)
        result = ingest.ingest(integration.id, normalize_alertmanager(body))
        incident_id = result.alerts[0].incident_id
        assert incident_id is not None
    finally:
        container.close()
    return lab, incident_id


def test_triage_prints_the_report_of_an_incident_on_a_configured_cluster(tmp_path: Path) -> None:
    database = tmp_path / ".pixelview" / "pixelview.db"
    database.parent.mkdir()
    lab, incident_id = lab_incident(database)
    with serve_facade(lab.world.kube) as facade:
        clusters = json.dumps([{"name": "lab", "server": facade_url(facade)}])
        shown = run(
            "triage", str(incident_id), cwd=tmp_path, PIXELVIEW_KUBERNETES__CLUSTERS=clusters
        )
        as_json = run(
            "triage",
            str(incident_id),
            "--json",
            cwd=tmp_path,
            PIXELVIEW_KUBERNETES__CLUSTERS=clusters,
        )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "root cause: kubernetes Deployment payments/api  [resource.memory]" in shown.stdout, (
        shown.stdout
    )
    assert "[t1 k8s_analyze] pod payments/api-" in shown.stdout
    assert "kubernetes.set_memory_limit" in shown.stdout
    second = json.loads(as_json.stdout)
    assert second["trigger"] == "requested" and second["requested_by"] == "cli"
    assert second["report"]["root_cause"]["name"] == "api"
    assert [c["tool"] for c in second["tool_calls"]] == [
        "k8s_analyze",
        "runbook_search",
        "similar_incidents",
    ]
    assert second["report"]["runbooks"][0]["runbook_id"] == "k8s-oom-killed"


def test_triage_of_an_unknown_incident_is_one_clear_line(tmp_path: Path) -> None:
    result = run("triage", "4242", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "error: incident 4242 not found"
