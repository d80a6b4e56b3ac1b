"""Webhook ingestion end to end through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from incidents.models.alert import Alert
from incidents.models.incident import Incident
from incidents.models.people import Role
from tests.integration.conftest import Api, fixture_json


def am_alert(name: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} on {labels.get('instance', 'x')}"},
        "startsAt": "2026-11-22T09:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-22T09:30:00Z",
        "generatorURL": "",
    }


def am_group(*alerts: dict[str, Any]) -> dict[str, Any]:
    """A webhook grouped by alertname, as Alertmanager's default route does."""
    group_key = f'{{}}:{{alertname="{alerts[0]["labels"]["alertname"]}"}}'
    return {
        "receiver": "pv",
        "status": "firing",
        "alerts": list(alerts),
        "groupKey": group_key,
        "version": "4",
    }


def counts(api: Api) -> tuple[int, int]:
    with api.sessions() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert))
        incidents = session.scalar(select(func.count()).select_from(Incident))
    return int(alerts or 0), int(incidents or 0)


def test_alertmanager_firing_duplicate_then_resolved(api: Api) -> None:
    _, path = api.integration("alertmanager")
    firing = fixture_json("alertmanager_payload.json")

    first = api.post(path, firing)
    assert first.status_code == 202, first.text
    [outcome] = first.json()["alerts"]
    assert outcome["outcome"] == "created" and outcome["incident_opened"] is True
    assert outcome["fingerprint"] == "f419042a6b5d1904"
    incident_id = outcome["incident_id"]

    again = api.post(path, firing)  # Alertmanager's HA peer sends the same group
    assert again.json()["alerts"][0]["outcome"] == "duplicate"
    assert counts(api) == (1, 1)
    alert = api.list("/api/v1/alerts")["items"][0]
    assert alert["duplicates"] == 1 and alert["severity"] == "critical"
    assert alert["summary"] == "Lab alert that always fires"

    incident = api.list(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "triggered" and incident["open_alert_count"] == 1

    resolved = copy.deepcopy(firing)
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-11-22T00:30:00Z"
    done = api.post(path, resolved)
    assert done.json()["alerts"][0]["outcome"] == "resolved"
    incident = api.list(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "resolved" and incident["resolved_by"].startswith("integration:")
    kinds = [e["kind"] for e in api.list(f"/api/v1/incidents/{incident_id}/timeline")]
    assert kinds == ["opened", "escalation", "alert_added", "alert_resolved", "status_changed"]

    assert api.post(path, resolved).json()["alerts"][0]["outcome"] == "duplicate"
    assert counts(api) == (1, 1)


def test_one_delivery_carrying_one_fingerprint_several_times(api: Api) -> None:
    """Each occurrence is applied in order, as if it had come in its own delivery."""
    _, path = api.integration("alertmanager")
    a, b = am_alert("Twice", instance="a"), am_alert("Twice", instance="b")
    b_resolved = am_alert("Twice", "resolved", instance="b")

    first = api.post(path, am_group(a, a, b_resolved, b)).json()["alerts"]
    assert [x["outcome"] for x in first] == ["created", "duplicate", "unknown_resolved", "created"]
    a_id, b_id = first[0]["alert_id"], first[3]["alert_id"]
    incident_id = first[0]["incident_id"]
    assert first[1]["alert_id"] == a_id and first[3]["incident_id"] == incident_id

    a_resolved = am_alert("Twice", "resolved", instance="a")
    second = api.post(path, am_group(a_resolved, a, b_resolved)).json()["alerts"]
    assert [x["outcome"] for x in second] == ["resolved", "created", "resolved"]
    assert second[0]["alert_id"] == a_id and second[2]["alert_id"] == b_id
    assert second[1]["alert_id"] not in (a_id, b_id)
    assert second[1]["incident_id"] == incident_id  # one alert still open: the incident stays

    rows = {r["id"]: r for r in api.list("/api/v1/alerts?limit=100")["items"]}
    assert len(rows) == 4  # a, b's unknown resolve, b, a again
    assert rows[a_id]["duplicates"] == 1 and rows[a_id]["status"] == "resolved"
    assert rows[second[1]["alert_id"]]["status"] == "firing"
    incident = api.list(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "triggered"
    assert (incident["alert_count"], incident["open_alert_count"]) == (3, 1)


def test_mixed_group_and_truncated_alerts(api: Api) -> None:
    _, path = api.integration("alertmanager")
    response = api.post(path, fixture_json("alertmanager_mixed_group.json"))
    assert response.status_code == 202
    outcomes = sorted(a["outcome"] for a in response.json()["alerts"])
    assert "created" in outcomes and "unknown_resolved" in outcomes
    truncated = api.post(path, fixture_json("alertmanager_truncated.json"))
    assert truncated.status_code == 202 and truncated.json()["alerts"]


def test_changed_content_updates_the_alert_but_never_human_state(api: Api) -> None:
    _, path = api.integration("alertmanager")
    responder = api.user(Role.RESPONDER, "ron@example.com")
    alert = am_alert("HighLatency", severity="warning", service="shop")
    incident_id = api.post(path, am_group(alert)).json()["alerts"][0]["incident_id"]
    assert (
        api.client.post(
            f"/api/v1/incidents/{incident_id}/acknowledge", headers=responder
        ).status_code
        == 200
    )
    api.client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"tags": ["Shop"], "priority": "P2"},
        headers=responder,
    )

    changed = am_alert("HighLatency", severity="warning", service="shop")
    changed["annotations"]["summary"] = "p99 latency 4s"  # same labels, so the same alert
    outcome = api.post(path, am_group(changed)).json()["alerts"][0]
    assert outcome["outcome"] == "updated" and outcome["incident_id"] == incident_id
    worse = api.post(path, am_group(am_alert("HighLatency", severity="critical", service="shop")))
    assert worse.json()["alerts"][0]["incident_id"] == incident_id  # same group, new alert

    incident = api.list(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "acknowledged"  # the sender did not undo the acknowledgement
    assert incident["tags"] == ["shop"] and incident["priority"] == "P2"
    assert incident["severity"] == "critical"  # raised, since no person pinned it
    summaries = {a["summary"] for a in api.list("/api/v1/alerts")["items"]}
    assert "p99 latency 4s" in summaries
    kinds = [e["kind"] for e in api.list(f"/api/v1/incidents/{incident_id}/timeline")]
    assert "alert_updated" in kinds


def test_grouping_by_group_key_and_by_labels(api: Api) -> None:
    _, path = api.integration("alertmanager")
    one = api.post(
        path, am_group(am_alert("Down", instance="a"), am_alert("Down", instance="b"))
    ).json()
    assert {a["incident_id"] for a in one["alerts"]} == {one["alerts"][0]["incident_id"]}
    assert api.list(f"/api/v1/incidents/{one['alerts'][0]['incident_id']}")["alert_count"] == 2

    _, by_ns = api.integration(
        "alertmanager", name="by-namespace", grouping={"mode": "labels", "labels": ["namespace"]}
    )
    shop = api.post(
        by_ns, am_group(am_alert("A", namespace="shop"), am_alert("B", namespace="shop"))
    ).json()
    pay = api.post(by_ns, am_group(am_alert("A", namespace="payments"))).json()
    assert shop["alerts"][0]["incident_id"] == shop["alerts"][1]["incident_id"]
    assert pay["alerts"][0]["incident_id"] != shop["alerts"][0]["incident_id"]


def test_new_firing_reopens_a_recently_resolved_incident(api: Api) -> None:
    _, path = api.integration("alertmanager", reopen_window_s=600)
    firing = am_group(am_alert("Flappy"))
    resolved = am_group(am_alert("Flappy", status="resolved"))
    incident_id = api.post(path, firing).json()["alerts"][0]["incident_id"]
    api.post(path, resolved)
    api.clock.advance(timedelta(minutes=5))
    again = api.post(path, firing).json()["alerts"][0]
    assert again["incident_id"] == incident_id and again["outcome"] == "created"
    incident = api.list(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "triggered" and incident["reopen_count"] == 1
    api.post(path, resolved)
    api.clock.advance(timedelta(minutes=11))
    later = api.post(path, firing).json()["alerts"][0]
    assert later["incident_id"] != incident_id  # outside the window: a new incident


def test_silenced_alerts_are_stored_but_open_nothing_until_the_silence_ends(api: Api) -> None:
    integration_id, path = api.integration("alertmanager")
    now = api.clock.now()
    silence = api.post(
        "/api/v1/silences",
        {
            "matchers": [{"label": "namespace", "op": "=~", "value": "shop|cart"}],
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "comment": "deploy",
        },
    )
    assert silence.status_code == 201, silence.text
    outcome = api.post(path, am_group(am_alert("Deploying", namespace="cart"))).json()["alerts"][0]
    assert outcome["outcome"] == "silenced" and outcome["incident_id"] is None
    assert api.post(path, am_group(am_alert("Other", namespace="db"))).json()["alerts"][0][
        "incident_id"
    ]
    assert counts(api) == (2, 1)

    assert api.post(f"/api/v1/silences/{silence.json()['id']}/expire").status_code == 200
    resend = api.post(path, am_group(am_alert("Deploying", namespace="cart"))).json()["alerts"][0]
    assert resend["outcome"] == "created" and resend["incident_id"] is not None
    assert counts(api) == (2, 2)

    maintenance = api.post(
        "/api/v1/silences",
        {
            "kind": "maintenance",
            "integration_id": integration_id,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
    )
    assert maintenance.status_code == 201
    assert (
        api.post(path, am_group(am_alert("Anything"))).json()["alerts"][0]["outcome"] == "silenced"
    )


def test_sources_each_open_and_close_incidents(api: Api) -> None:
    _, zabbix = api.integration("zabbix")
    problem = api.post(zabbix, fixture_json("zabbix_problem.json")).json()["alerts"][0]
    recovery = api.post(zabbix, fixture_json("zabbix_recovery.json")).json()["alerts"][0]
    assert problem["fingerprint"] == recovery["fingerprint"] and recovery["outcome"] == "resolved"

    _, nagios = api.integration("nagios")
    nagios_problem = api.post(nagios, fixture_json("nagios_service_problem.json")).json()["alerts"][
        0
    ]
    ack = api.post(nagios, fixture_json("nagios_service_acknowledgement.json")).json()["alerts"][0]
    assert ack["incident_id"] == nagios_problem["incident_id"]
    assert api.list(f"/api/v1/incidents/{ack['incident_id']}")["status"] == "acknowledged"
    api.post(nagios, fixture_json("nagios_service_recovery.json"))
    assert api.list(f"/api/v1/incidents/{ack['incident_id']}")["status"] == "resolved"

    _, generic = api.integration("generic")
    batch = api.post(generic, fixture_json("generic_batch.json"))
    assert batch.status_code == 202 and batch.json()["alerts"]


def test_pagerduty_events_v2_compatibility(api: Api) -> None:
    _, path = api.integration("pagerduty")
    token = path.split("/")[4]
    trigger = fixture_json("pagerduty_trigger_without_dedup_key.json")
    response = api.post(path, trigger)
    assert response.status_code == 202
    body = response.json()
    assert (
        body["status"] == "success" and body["message"] == "Event processed" and body["dedup_key"]
    )

    resolve = {"routing_key": token, "event_action": "resolve", "dedup_key": body["dedup_key"]}
    via_pd_url = api.client.post("/v2/enqueue", json=resolve)
    assert via_pd_url.status_code == 202 and via_pd_url.json()["dedup_key"] == body["dedup_key"]
    assert api.list("/api/v1/incidents", status="resolved")["items"]

    wrong_case = copy.deepcopy(trigger)
    wrong_case["payload"]["severity"] = "Info"
    invalid = api.post(path, wrong_case)
    assert invalid.status_code == 400
    assert invalid.json()["status"] == "invalid event"
    assert any("payload.severity" in e for e in invalid.json()["errors"])
    unknown = api.client.post("/v2/enqueue", json=resolve | {"routing_key": "nope"})
    assert unknown.status_code == 404


def test_refused_deliveries_say_why_and_are_kept(api: Api) -> None:
    integration_id, path = api.integration("zabbix")
    macro = api.post(path, fixture_json("zabbix_test_button.json"))
    assert macro.status_code == 422 and "{EVENT." in macro.json()["message"]
    broken = api.client.post(
        path, content=b'{"event_id": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["message"]
    wrong_source = api.client.post(path.replace("/zabbix", "/nagios"), json={})
    assert wrong_source.status_code == 422 and "accepts zabbix" in wrong_source.json()["message"]
    huge = api.client.post(path, content=b"x" * (5 * 1024 * 1024 + 1))
    assert huge.status_code == 413

    kept = api.list(f"/api/v1/integrations/{integration_id}/rejections")
    assert [r["status_code"] for r in kept] == [413, 422, 400, 422]
    assert kept[2]["body"] == '{"event_id": '
    assert kept[0]["body_size"] == 5 * 1024 * 1024 + 1 and len(kept[0]["body"]) == 64 * 1024
    assert api.client.post("/api/v1/integrations/not-a-token/zabbix", json={}).status_code == 404
    assert api.client.post(path.replace("/zabbix", "/smoke-signals"), json={}).status_code == 404
    assert counts(api) == (0, 0)


def test_generic_format_schema_is_published(api: Api) -> None:
    schema = api.list("/api/v1/schemas/generic-alert")
    assert "alerts" in schema["properties"]
    assert schema["$defs"]["GenericAlert"]["required"] == ["id", "summary"]
