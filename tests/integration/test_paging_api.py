"""Schedules, policies, routing, channels and contacts through the API."""

from __future__ import annotations

from datetime import timedelta

from incidents.escalation.service import Escalator
from incidents.notifications.outbox import RateLimit
from tests.integration.conftest import T0, Api


def test_schedule_lifecycle_on_call_timeline_gaps_and_calendar(api: Api) -> None:
    ada = api.post("/api/v1/users", {"name": "Ada", "email": "ada@example.com"}).json()["user"][
        "id"
    ]
    bob = api.post("/api/v1/users", {"name": "Bob", "email": "bob@example.com"}).json()["user"][
        "id"
    ]
    layer = {
        "name": "business",
        "participants": [ada, bob],
        "start": "2026-11-23T09:00:00-06:00",
        "turn": {"kind": "daily"},
        "restrictions": [{"kind": "daily", "start": "09:00", "end": "17:00"}],
    }
    created = api.post(
        "/api/v1/schedules", {"name": "ops", "timezone": "America/Chicago", "layers": [layer]}
    )
    assert created.status_code == 201, created.text
    schedule = created.json()["id"]

    monday_10 = "2026-11-23T16:00:00Z"  # 10:00 in Chicago
    assert api.list(f"/api/v1/schedules/{schedule}/on-call", at=monday_10)["user_ids"] == [ada]
    assert api.list(f"/api/v1/schedules/{schedule}/on-call", at="2026-11-24T16:00:00Z")[
        "user_ids"
    ] == [bob]
    assert (
        api.list(f"/api/v1/schedules/{schedule}/on-call", at="2026-11-24T02:00:00Z")["user_ids"]
        == []
    )

    override = api.post(
        f"/api/v1/schedules/{schedule}/overrides",
        {"user_id": bob, "start": "2026-11-23T18:00:00Z", "end": "2026-11-23T20:00:00Z"},
    )
    assert override.status_code == 201
    shifts = api.list(
        f"/api/v1/schedules/{schedule}/timeline",
        start="2026-11-23T15:00:00Z",
        end="2026-11-23T23:00:00Z",
    )
    assert [(s["user_id"], s["start"][11:16], s["end"][11:16], s["source"]) for s in shifts] == [
        (ada, "15:00", "18:00", "layer"),
        (bob, "18:00", "20:00", "override"),
        (ada, "20:00", "23:00", "layer"),
    ]
    gaps = api.list(
        f"/api/v1/schedules/{schedule}/gaps",
        start="2026-11-23T15:00:00Z",
        end="2026-11-24T15:00:00Z",
    )
    assert [(g["start"][11:16], g["end"][11:16]) for g in gaps] == [("23:00", "15:00")]

    calendar = api.client.get(
        f"/api/v1/schedules/{schedule}/calendar.ics",
        params={"start": "2026-11-23T00:00:00Z", "end": "2026-11-25T00:00:00Z", "user_id": bob},
        headers=api.headers,
    )
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert (
        calendar.text.startswith("BEGIN:VCALENDAR\r\n") and calendar.text.count("BEGIN:VEVENT") == 2
    )

    bad = api.post("/api/v1/schedules", {"name": "x", "timezone": "Mars/Olympus", "layers": []})
    assert bad.status_code == 422 and "Mars/Olympus" in bad.json()["message"]
    backwards = api.post(
        f"/api/v1/schedules/{schedule}/overrides",
        {"user_id": bob, "start": "2026-11-23T20:00:00Z", "end": "2026-11-23T18:00:00Z"},
    )
    assert backwards.status_code == 422 and "end must be after start" in backwards.json()["message"]
    too_long = api.client.get(
        f"/api/v1/schedules/{schedule}/timeline",
        params={"start": "2026-01-01T00:00:00Z", "end": "2028-01-01T00:00:00Z"},
        headers=api.headers,
    )
    assert too_long.status_code == 422


def test_policies_rules_channels_contacts_and_an_escalating_incident(api: Api) -> None:
    ada = api.post("/api/v1/users", {"name": "Ada", "email": "ada@example.com"}).json()["user"][
        "id"
    ]
    channel = api.post(
        "/api/v1/notification-channels",
        {
            "name": "ops-hook",
            "kind": "webhook",
            "address": "http://127.0.0.1:9/hook",
            "secret": "s3cret",
        },
    )
    assert channel.status_code == 201 and channel.json()["has_secret"] is True
    assert "s3cret" not in channel.text
    no_secret = api.post(
        "/api/v1/notification-channels", {"name": "h2", "kind": "webhook", "address": "http://x/h"}
    )
    assert no_secret.status_code == 422 and "needs a secret" in no_secret.json()["message"]

    unknown_user = api.post(
        "/api/v1/escalation-policies",
        {
            "name": "p",
            "steps": [{"type": "notify_users", "users": ["00000000-0000-0000-0000-000000000001"]}],
        },
    )
    assert (
        unknown_user.status_code == 422
        and "users 00000000-0000-0000-0000-000000000001 does not exist"
        in unknown_user.json()["message"]
    )
    policy = api.post(
        "/api/v1/escalation-policies",
        {
            "name": "p",
            "steps": [
                {"type": "notify_users", "users": [ada]},
                {"type": "notify_channel", "channel_id": channel.json()["id"]},
            ],
        },
    )
    assert policy.status_code == 201, policy.text
    rule = api.post(
        "/api/v1/routing-rules",
        {
            "name": "critical",
            "position": 0,
            "policy_id": policy.json()["id"],
            "severities": ["critical"],
        },
    )
    assert rule.status_code == 201

    sms = api.post(
        f"/api/v1/users/{ada}/contact-methods", {"kind": "sms", "address": "+15551234567"}
    )
    assert sms.status_code == 201
    assert (
        api.post(
            f"/api/v1/users/{ada}/contact-methods", {"kind": "sms", "address": "555"}
        ).status_code
        == 422
    )
    assert (
        api.post(
            f"/api/v1/users/{ada}/notification-rules",
            {"contact_method_id": sms.json()["id"], "delay_minutes": 3},
        ).status_code
        == 201
    )
    contacts = api.list(f"/api/v1/users/{ada}/contacts")
    assert contacts["rules"][0]["delay_minutes"] == 3

    _, path = api.integration("generic")
    critical = api.post(path, {"id": "a", "summary": "db down", "severity": "critical"}).json()[
        "alerts"
    ][0]["incident_id"]
    warning = api.post(path, {"id": "b", "summary": "disk 80%", "severity": "warning"}).json()[
        "alerts"
    ][0]["incident_id"]
    escalation = api.list(f"/api/v1/incidents/{critical}/escalation")
    assert escalation["status"] == "active" and escalation["snapshot"]["name"] == "p"
    assert (
        api.client.get(f"/api/v1/incidents/{warning}/escalation", headers=api.headers).status_code
        == 404
    )

    Escalator(api.sessions, api.clock, rate_limit=RateLimit()).tick()
    deliveries = api.list(f"/api/v1/incidents/{critical}/deliveries")
    assert [(d["kind"], d["address"], d["status"]) for d in deliveries] == [
        ("sms", "+15551234567", "pending"),
        ("webhook", "http://127.0.0.1:9/hook", "pending"),
    ]
    assert deliveries[0]["send_after"].startswith((T0 + timedelta(minutes=3)).isoformat()[:16])
