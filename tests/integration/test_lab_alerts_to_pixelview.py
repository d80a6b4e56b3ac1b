"""The lab's Alertmanager feeds the real ingestion: a group opens an incident, resolves close it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lab.alerting.alertmanager import AlertmanagerNotifier, LabAlert, Route
from tests.integration.conftest import Api

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def node_down(node: str) -> LabAlert:
    return LabAlert(
        labels={"alertname": "KubeNodeNotReady", "node": node, "severity": "critical"},
        annotations={"summary": f"{node} is NotReady"},
        starts_at=T0,
    )


def test_lab_alerts_open_one_incident_per_group_and_resolve_it(api: Api) -> None:
    _, path = api.integration("alertmanager")
    notifier = AlertmanagerNotifier(Route(group_wait=timedelta(0)))
    nodes = [node_down("node-a"), node_down("node-b")]

    [body] = notifier.due(nodes, T0)
    answer = api.post(path, body)
    assert answer.status_code == 202, answer.text
    outcomes = answer.json()["alerts"]
    assert [a["outcome"] for a in outcomes] == ["created", "created"]
    incident_id = outcomes[0]["incident_id"]
    assert outcomes[1]["incident_id"] == incident_id

    [resolved] = notifier.due([], T0 + timedelta(minutes=5))
    assert [a["outcome"] for a in api.post(path, resolved).json()["alerts"]] == ["resolved"] * 2
    incident = api.list(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "resolved" and incident["alert_count"] == 2
