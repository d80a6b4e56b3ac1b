"""Incident lifecycle, assignment, comments, listing, and the audit log through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from incidents.models.people import Role
from tests.integration.conftest import Api
from tests.integration.test_ingest_api import am_alert, am_group


def open_incident(api: Api, path: str, name: str, **labels: str) -> int:
    response = api.post(path, am_group(am_alert(name, **labels)))
    assert response.status_code == 202, response.text
    incident_id: int = response.json()["alerts"][0]["incident_id"]
    return incident_id


def test_lifecycle_transitions_and_conflicts(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "Lifecycle")

    def act(action: str, note: str | None = None) -> tuple[int, dict[str, str]]:
        response = api.post(
            f"/api/v1/incidents/{incident}/{action}", {"note": note} if note else None
        )
        return response.status_code, response.json()

    assert act("acknowledge")[0] == 200
    status, body = act("acknowledge")
    assert (
        status == 409 and body["error"] == "conflict" and "already acknowledged" in body["message"]
    )
    assert act("start")[1]["status"] == "in_progress"
    assert act("unacknowledge")[1]["status"] == "triggered"
    status, resolved = act("resolve", "restarted the exporter")
    assert status == 200 and resolved["status"] == "resolved"
    assert resolved["resolution_note"] == "restarted the exporter"
    status, body = act("acknowledge")
    assert status == 409 and "it is resolved" in body["message"]
    assert act("reopen")[1]["status"] == "triggered"
    assert act("dance")[0] == 404
    assert api.post("/api/v1/incidents/999999/acknowledge").status_code == 404

    timeline = api.list(f"/api/v1/incidents/{incident}/timeline")
    changes = [e["summary"] for e in timeline if e["kind"] in ("status_changed", "reopened")]
    assert changes == [
        "triggered → acknowledged",
        "acknowledged → in_progress",
        "in_progress → triggered",
        "triggered → resolved: restarted the exporter",
        "resolved → triggered",
    ]


def test_reopen_refused_while_a_newer_incident_of_the_group_is_open(api: Api) -> None:
    _, path = api.integration()
    first = open_incident(api, path, "Again")
    assert api.post(f"/api/v1/incidents/{first}/resolve").status_code == 200
    api.post(path, am_group(am_alert("Again", status="resolved")))
    second = open_incident(api, path, "Again")
    assert second != first
    refused = api.post(f"/api/v1/incidents/{first}/reopen")
    assert refused.status_code == 409 and f"incident {second}" in refused.json()["message"]


def test_assignment_comments_fields_and_audit(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "Owned")
    user = api.post("/api/v1/users", {"name": "Grace", "email": "grace@example.com"}).json()
    assert user["token"].startswith("pvu_") and user["user"]["role"] == "responder"
    team = api.post("/api/v1/teams", {"name": "sre", "members": [user["user"]["id"]]})
    assert team.status_code == 201 and team.json()["members"][0]["email"] == "grace@example.com"

    grace = {"Authorization": f"Bearer {user['token']}"}
    assigned = api.client.put(
        f"/api/v1/incidents/{incident}/assignment",
        json={"user_id": user["user"]["id"], "team_id": team.json()["id"]},
        headers=grace,
    )
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == user["user"]["id"]
    comment = api.client.post(
        f"/api/v1/incidents/{incident}/comments", json={"body": "looking"}, headers=grace
    )
    assert comment.status_code == 201
    patched = api.client.patch(
        f"/api/v1/incidents/{incident}",
        json={"severity": "info", "priority": "P1", "tags": ["DB", "db", " "]},
        headers=grace,
    )
    assert patched.json()["severity"] == "info" and patched.json()["tags"] == ["db"]
    bad = api.client.patch(
        f"/api/v1/incidents/{incident}", json={"priority": "urgent"}, headers=grace
    )
    assert bad.status_code == 422 and "priority" in bad.json()["message"]

    # a person set the severity: a critical alert joining the incident leaves it alone
    api.post(path, am_group(am_alert("Owned", severity="critical", instance="b")))
    assert api.list(f"/api/v1/incidents/{incident}")["severity"] == "info"

    entries = api.list("/api/v1/audit", target_type="incident", target_id=str(incident))
    assert [e["action"] for e in entries] == [
        "incident.update",
        "incident.comment",
        "incident.assign",
    ]
    assert all(e["actor"] == f"user:{user['user']['id']}" for e in entries)
    assert entries[0]["before"]["priority"] is None and entries[0]["after"]["priority"] == "P1"
    assert api.list("/api/v1/audit", target_type="user")[0]["action"] == "user.create"


def test_audit_log_is_append_only_in_the_database(api: Api) -> None:
    api.integration()
    with api.sessions() as session:
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(text(statement))
            session.rollback()


def test_roles_and_tokens(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "Guarded")
    viewer = api.user(Role.VIEWER, "vic@example.com")
    assert api.client.get("/api/v1/incidents").status_code == 401
    no_token = api.client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"})
    assert no_token.status_code == 401 and no_token.json()["error"] == "unauthenticated"
    assert api.client.get("/api/v1/incidents", headers=viewer).status_code == 200
    refused = api.client.post(f"/api/v1/incidents/{incident}/acknowledge", headers=viewer)
    assert refused.status_code == 403 and "responder" in refused.json()["message"]
    assert (
        api.client.post(
            "/api/v1/integrations", json={"name": "x", "source": "generic"}, headers=viewer
        ).status_code
        == 403
    )
    assert api.client.get("/api/v1/users/me", headers=viewer).json()["email"] == "vic@example.com"


def test_listing_filters_search_and_cursor_pagination(api: Api) -> None:
    _, path = api.integration()
    ids = []
    for n, (ns, severity) in enumerate(
        [
            ("shop", "critical"),
            ("shop", "warning"),
            ("payments", "critical"),
            ("payments", "info"),
            ("platform", "warning"),
        ]
    ):
        ids.append(open_incident(api, path, f"Disk{n}Full", namespace=ns, severity=severity))
        api.clock.advance(timedelta(minutes=1))
    api.post(f"/api/v1/incidents/{ids[0]}/acknowledge")
    api.client.patch(f"/api/v1/incidents/{ids[1]}", json={"tags": ["noisy"]}, headers=api.headers)

    def listed(**params: object) -> list[int]:
        return [i["id"] for i in api.list("/api/v1/incidents", **params)["items"]]

    assert listed() == ids[::-1]
    assert listed(order="oldest") == ids
    assert listed(severity="critical") == [ids[2], ids[0]]
    assert listed(status=["triggered"], severity=["critical"]) == [ids[2]]
    assert listed(label="namespace=payments") == [ids[3], ids[2]]
    assert listed(tag="noisy") == [ids[1]]
    assert listed(q="disk3") == [ids[3]]
    assert listed(q="disk full") == ids[::-1]
    assert listed(since=(api.clock.now() - timedelta(minutes=2)).isoformat()) == [ids[4], ids[3]]
    bad_label = api.client.get("/api/v1/incidents", params={"label": "oops"}, headers=api.headers)
    assert bad_label.status_code == 422 and "name=value" in bad_label.json()["message"]

    seen, cursor = [], None
    while True:
        page = api.list("/api/v1/incidents", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert (
        api.client.get(
            "/api/v1/incidents", params={"cursor": "garbage"}, headers=api.headers
        ).status_code
        == 422
    )

    assert api.list("/api/v1/incidents/counts", by="severity") == {
        "critical": 2,
        "warning": 2,
        "info": 1,
    }
    assert api.list("/api/v1/incidents/counts", by="status") == {"acknowledged": 1, "triggered": 4}
    assert api.list("/api/v1/incidents/counts", by="tag") == {"noisy": 1, "none": 4}
    assert api.list("/api/v1/incidents/counts", by="label", label_name="namespace") == {
        "shop": 2,
        "payments": 2,
        "platform": 1,
    }
    no_name = api.client.get(
        "/api/v1/incidents/counts", params={"by": "label"}, headers=api.headers
    )
    assert no_name.status_code == 422 and "label_name" in no_name.json()["message"]
    alerts = api.list("/api/v1/alerts", label="namespace=shop", severity="warning")["items"]
    assert len(alerts) == 1 and alerts[0]["incident_id"] == ids[1]
    detail = api.list(f"/api/v1/alerts/{alerts[0]['id']}")
    assert detail["raw"]["labels"]["namespace"] == "shop"
