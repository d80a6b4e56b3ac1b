"""The Slack bot in HTTP mode, against a fake Slack Web API, with requests signed as Slack does.

Mentions and DMs are answered in their thread; the slash command acts and reads; an incident is
posted with its buttons, a click acts on it as the clicking person and updates the message;
unsigned or wrongly signed requests are refused with 401 before anything runs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from core.jobs.models import Job, JobStatus
from incidents.audit import list_audit
from incidents.models.incident import Incident
from incidents.models.slack import SlackPost
from incidents.models.triage import TriageRun
from incidents.slack_posts import POST_JOB, UPDATE_JOB
from incidents.triage import RunUsage, finish_run, start_run
from tests.fakes.slack import sign
from tests.integration.slack_bot import PUBLIC_URL, SECRET, SlackRig, slack_rig
from tests.integration.test_incidents_api import open_incident
from tests.integration.test_triage_runs import REPORT


@pytest.fixture
def rig(engine: Engine) -> Iterator[SlackRig]:
    with slack_rig(engine) as made:
        yield made


def incident_row(rig: SlackRig, incident_id: int) -> Incident:
    with rig.api.sessions() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return incident


def audit_actions(rig: SlackRig, incident_id: int) -> list[tuple[str, str]]:
    with rig.api.sessions() as session:
        entries = list_audit(session, target_type="incident", target_id=str(incident_id))
        return [(e.action, e.actor) for e in reversed(entries)]


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def finish(rig: SlackRig, run_id: int) -> None:
    with rig.api.sessions() as session:
        start_run(session, run_id, now=rig.api.clock.now())
        finish_run(session, run_id, REPORT, now=rig.api.clock.now(), usage=RunUsage(mode="none"))
        session.commit()


def start_opening_run(rig: SlackRig, incident_id: int) -> None:
    with rig.api.sessions() as session:
        [run] = session.exec(select(TriageRun).where(TriageRun.incident_id == incident_id)).all()
        assert run.id is not None
        start_run(session, run.id, now=rig.api.clock.now())
        session.commit()


# ------------------------------------------------------------------------- signatures


def test_a_bad_signature_is_401_and_nothing_runs(rig: SlackRig) -> None:
    _, path = rig.api.integration()
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    form = {"command": "/pixelview", "text": f"ack {incident}", "user_id": "U_BOB"}
    body = urlencode(form | {"channel_id": "C_OPS", "team_id": "T"}).encode()
    content = "application/x-www-form-urlencoded"

    wrong = rig.send(body, content, secret="not-the-signing-secret")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "unauthenticated"
    assert "X-Slack-Signature" in wrong.json()["message"]
    unsigned = rig.client.post("/slack/events", content=body, headers={"Content-Type": content})
    assert unsigned.status_code == 401
    stale = sign(SECRET, body, timestamp=int(time.time()) - 600) | {"Content-Type": content}
    assert rig.client.post("/slack/events", content=body, headers=stale).status_code == 401
    tampered = sign(SECRET, body) | {"Content-Type": content}
    replaced = body.replace(b"U_BOB", b"U_ADA")
    assert rig.client.post("/slack/events", content=replaced, headers=tampered).status_code == 401

    assert incident_row(rig, incident).status == "triggered"
    assert rig.slack.calls == []  # not even auth.test: verification comes first


def test_the_events_url_is_verified_with_its_challenge(rig: SlackRig) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
    response = rig.send(body, "application/json")
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}


# ------------------------------------------------------------------------- chat


def test_a_mention_is_answered_in_its_thread_with_the_steps(rig: SlackRig) -> None:
    assert rig.mention("U_ADA", "which incidents are open?", "1700000100.000100").status_code == 200
    [answer] = rig.slack.wait_for("chat.postMessage")
    assert answer.token == "xoxb-test-token"
    assert answer.args["channel"] == "C_OPS"
    assert answer.args["thread_ts"] == "1700000100.000100"
    assert answer.args["text"].startswith("Answer to: which incidents are open?")
    assert "&lt;!channel&gt;" in answer.args["text"]  # the answer can never ping the channel
    [steps] = [b for b in answer.args["blocks"] if b["type"] == "context"]
    trace = steps["elements"][0]["text"]
    assert (
        "mode none" in trace and "Steps:\nt1 incidents_list(status=open) → ok: 1 incident" in trace
    )
    assert rig.chat.asked == [
        {
            "key": "C_OPS:1700000100.000100",
            "question": "which incidents are open?",
            "actor": f"user:{rig.users['Ada']}",
            "owner": "slack:U_ADA",
        }
    ]

    rig.mention("U_EVE", "and the critical ones?", "1700000200.2", thread_ts="1700000100.000100")
    second = rig.slack.wait_for("chat.postMessage", 2)[1]
    assert second.args["thread_ts"] == "1700000100.000100"
    assert rig.chat.asked[1]["key"] == "C_OPS:1700000100.000100"  # the same conversation
    assert rig.chat.asked[1]["actor"] == "slack:U_EVE"  # unknown people may ask


def test_a_redelivered_event_is_acknowledged_and_answered_once(rig: SlackRig) -> None:
    mention = {
        "type": "app_mention",
        "user": "U_ADA",
        "text": "<@UBOT> which incidents are open?",
        "ts": "1700000300.1",
        "channel": "C_OPS",
    }
    assert rig.event(mention, event_id="Ev42").status_code == 200
    rig.slack.wait_for("chat.postMessage")
    for retry in (1, 2):  # Slack thought the first delivery failed
        assert rig.event(mention, event_id="Ev42", retry=retry).status_code == 200
    later = {"ts": "1700000300.2", "text": "<@UBOT> and the critical ones?"}
    rig.event(mention | later, event_id="Ev43")  # a new event, after the redeliveries
    assert len(rig.slack.wait_for("chat.postMessage", 2)) == 2
    assert [asked["question"] for asked in rig.chat.asked] == [
        "which incidents are open?",
        "and the critical ones?",
    ]


def test_a_direct_message_is_answered_and_other_messages_are_not(rig: SlackRig) -> None:
    dm = {"type": "message", "channel_type": "im", "channel": "D_BOB", "user": "U_BOB"}
    rig.event(dm | {"text": "anything else?", "ts": "1.000001", "bot_id": "BPIXEL"})
    rig.event(dm | {"text": "edited", "ts": "1.000002", "subtype": "message_changed"})
    rig.event(dm | {"channel_type": "channel", "channel": "C_OPS", "text": "chat", "ts": "1.3"})
    rig.event(dm | {"text": "who is on call?", "ts": "1.000004"})
    [answer] = rig.slack.wait_for("chat.postMessage")
    assert (answer.args["channel"], answer.args["thread_ts"]) == ("D_BOB", "1.000004")
    time.sleep(0.2)
    assert [a["key"] for a in rig.chat.asked] == ["D_BOB:1.000004"]
    assert rig.chat.asked[0]["actor"] == f"user:{rig.users['Bob']}"  # linked explicitly


# ------------------------------------------------------------------------- slash command


def test_slash_ack_acts_as_the_linked_user(rig: SlackRig) -> None:
    _, path = rig.api.integration()
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    reply = rig.command(f"ack {incident}", user="U_BOB")
    assert reply["response_type"] == "in_channel"
    assert reply["text"] == f"<@U_BOB> acknowledged [CRITICAL] #{incident} DiskFull on db-1"
    row = incident_row(rig, incident)
    assert (row.status, row.acknowledged_by) == ("acknowledged", f"user:{rig.users['Bob']}")
    assert ("incident.acknowledge", f"user:{rig.users['Bob']}") in audit_actions(rig, incident)

    again = rig.command(f"ack #{incident}", user="U_BOB")
    assert again["response_type"] == "ephemeral" and "already acknowledged" in again["text"]
    missing = rig.command("ack 999999", user="U_BOB")
    assert "incident 999999 does not exist" in missing["text"]


def test_slash_resolve_by_the_profile_email_with_a_note(rig: SlackRig) -> None:
    _, path = rig.api.integration()
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    reply = rig.command(f"resolve {incident} restarted the exporter", user="U_ADA")
    assert reply["text"].startswith("<@U_ADA> resolved")
    row = incident_row(rig, incident)
    assert (row.status, row.resolved_by) == ("resolved", f"user:{rig.users['Ada']}")
    assert row.resolution_note == "restarted the exporter"
    rig.command(f"resolve {incident}", user="U_ADA")
    assert len(rig.slack.calls_to("users.info")) == 1  # the profile's address is remembered


def test_unknown_people_and_viewers_read_but_do_not_act(rig: SlackRig) -> None:
    _, path = rig.api.integration()
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    unknown = rig.command(f"resolve {incident}", user="U_EVE")
    assert unknown["response_type"] == "ephemeral"
    assert "Link your account" in unknown["text"] and "`U_EVE`" in unknown["text"]
    viewer = rig.command(f"ack {incident}", user="U_VIC")
    assert "needs the responder role" in viewer["text"] and "vic@example.com" in viewer["text"]
    assert incident_row(rig, incident).status == "triggered"
    assert audit_actions(rig, incident) == []
    reading = rig.command("who-is-on-call", user="U_EVE")
    assert reading["text"] == "No on-call schedule is set up in PixelView."


def test_who_is_on_call_names_people_and_mentions_the_linked(rig: SlackRig) -> None:
    bob, ada = rig.users["Bob"], rig.users["Ada"]
    layer = {
        "name": "weekly",
        "participants": [str(bob), str(ada)],
        "start": "2026-11-20T09:00:00Z",
        "turn": {"kind": "weekly"},
        "handoff_time": "09:00",
    }
    for name in ("payments-primary", "storage"):
        body = {"name": name, "timezone": "UTC", "layers": [layer]}
        assert rig.api.post("/api/v1/schedules", body).status_code == 201
    reply = rig.command("who-is-on-call payments", user="U_EVE")
    assert reply["response_type"] == "in_channel"
    assert reply["text"] == "On call now:\n• *payments-primary*: Bob (<@U_BOB>)"
    assert rig.command("who-is-on-call")["text"].count("Bob (<@U_BOB>)") == 2
    unknown = rig.command("who-is-on-call billing")["text"]
    assert unknown == "No schedule is named `billing`. Schedules: `payments-primary`, `storage`."


def test_slash_triage_queues_a_run_and_its_report_goes_to_the_incident_thread(
    rig: SlackRig,
) -> None:
    _, path = rig.api.integration()
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    start_opening_run(rig, incident)  # asking while a run is queued would return that run
    reply = rig.command(f"triage {incident}", user="U_BOB", channel="C_OPS")
    with rig.api.sessions() as session:
        run = session.exec(select(TriageRun).where(TriageRun.trigger == "requested")).one()
        assert run.requested_by == f"user:{rig.users['Bob']}"
        post = session.get(SlackPost, incident)
        assert post is not None and (post.channel, post.ts) == ("C_OPS", None)
    assert reply["text"] == (
        f"<@U_BOB> asked for a triage of incident #{incident} (run {run.id}); "
        "the report will be posted in the incident's thread below."
    )
    rig.run_jobs()
    [card] = rig.slack.calls_to("chat.postMessage")
    assert card.args["channel"] == "C_OPS" and "thread_ts" not in card.args
    assert run.id is not None
    finish(rig, run.id)
    rig.run_jobs()
    [_, report] = rig.slack.calls_to("chat.postMessage")
    assert report.args["thread_ts"] == rig.slack_ts(incident)
    assert report.args["text"] == f"Triage of incident #{incident}: {REPORT.summary}"
    shown = json.dumps(report.args["blocks"])
    assert "*Root cause*: Deployment payments/api (resource.memory)" in shown
    assert "api-1 last terminated OOMKilled" in shown and "call-1 k8s_describe_pod" in shown


def test_slash_ask_starts_a_thread_and_answers_in_it(rig: SlackRig) -> None:
    rig.command("ask which pods restart most?", user="U_EVE", channel="C_OPS")
    root, answer = rig.slack.wait_for("chat.postMessage", 2)
    assert root.args["text"] == "<@U_EVE> asked: which pods restart most?"
    assert "thread_ts" not in root.args
    assert answer.args["thread_ts"].startswith("1700000000.")
    assert rig.chat.asked[0]["key"] == f"C_OPS:{answer.args['thread_ts']}"


def test_help_and_unknown_words(rig: SlackRig) -> None:
    assert "`/pixelview who-is-on-call [schedule]`" in rig.command("help")["text"]
    assert "`/pixelview ask <question>`" in rig.command("")["text"]
    assert rig.command("page everyone")["text"].startswith("I do not know `page`.")
    assert "needs an incident number" in rig.command("ack the-disk")["text"]


# ------------------------------------------------------------------------- incident messages


def test_a_new_incident_is_posted_and_its_buttons_act_and_update_it(rig: SlackRig) -> None:
    _, path = rig.api.integration(slack_channel="#ops")
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    assert rig.run_jobs() >= 1
    [card] = rig.slack.calls_to("chat.postMessage")
    assert card.args["channel"] == "#ops"
    assert card.args["text"] == f"[CRITICAL] #{incident} DiskFull on db-1 (triggered)"
    assert action_ids(card.args["blocks"]) == [
        "pixelview.acknowledge",
        "pixelview.resolve",
        "pixelview.triage",
        "pixelview.open",
    ]
    assert f"{PUBLIC_URL}/api/v1/incidents/{incident}" in json.dumps(card.args["blocks"])
    ts = rig.slack_ts(incident)
    assert rig.slack_channel(incident) == "COPS"  # Slack's id of `#ops`, for chat.update

    clicked = rig.click("pixelview.acknowledge", incident, user="U_ADA", channel="COPS", ts=ts)
    assert clicked.status_code == 200
    [update] = rig.slack.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("COPS", ts)
    assert update.args["text"] == f"[CRITICAL] #{incident} DiskFull on db-1 (acknowledged)"
    assert action_ids(update.args["blocks"]) == [
        "pixelview.resolve",
        "pixelview.triage",
        "pixelview.open",
    ]
    assert "*Acknowledged by*\\nAda" in json.dumps(update.args["blocks"])
    row = incident_row(rig, incident)
    assert (row.status, row.acknowledged_by) == ("acknowledged", f"user:{rig.users['Ada']}")
    assert ("incident.acknowledge", f"user:{rig.users['Ada']}") in audit_actions(rig, incident)

    start_opening_run(rig, incident)
    rig.click("pixelview.triage", incident, user="U_BOB", channel="COPS", ts=ts)
    asked = rig.slack.wait_for("chat.postMessage", 2)[1]
    assert asked.args["thread_ts"] == ts and "<@U_BOB> asked for a new triage" in asked.args["text"]
    with rig.api.sessions() as session:
        run = session.exec(select(TriageRun).where(TriageRun.trigger == "requested")).one()
    assert run.requested_by == f"user:{rig.users['Bob']}" and run.id is not None
    finish(rig, run.id)
    rig.run_jobs()  # the refresh queued by the acknowledgement, and the report
    report = rig.slack.calls_to("chat.postMessage")[-1]
    assert report.args["thread_ts"] == ts and report.args["text"].startswith("Triage of incident")

    rig.click("pixelview.resolve", incident, user="U_EVE", channel="COPS", ts=ts)
    [refused] = rig.slack.wait_for("chat.postEphemeral")
    assert refused.args["user"] == "U_EVE" and "Link your account" in refused.args["text"]
    assert incident_row(rig, incident).status == "acknowledged"

    resolved = rig.api.post(f"/api/v1/incidents/{incident}/resolve")  # from the API this time
    assert resolved.status_code == 200
    rig.run_jobs()
    last = rig.slack.calls_to("chat.update")[-1]
    assert last.args["text"] == f"[CRITICAL] #{incident} DiskFull on db-1 (resolved)"
    assert action_ids(last.args["blocks"]) == ["pixelview.triage", "pixelview.open"]


def test_a_channel_slack_does_not_know_gives_up_the_post_and_its_followers(
    rig: SlackRig,
) -> None:
    rig.slack.missing_channels.add("C_GONE")
    _, path = rig.api.integration(slack_channel="C_GONE")
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    rig.run_jobs()
    assert rig.api.post(f"/api/v1/incidents/{incident}/acknowledge").status_code == 200
    rig.run_jobs()
    with rig.api.sessions() as session:
        post = session.get(SlackPost, incident)
        assert post is not None and post.ts is None
        assert "channel_not_found" in (post.error or "")
        jobs = session.exec(select(Job).where(col(Job.kind).in_([POST_JOB, UPDATE_JOB]))).all()
        assert sorted((j.kind, j.status, j.attempts) for j in jobs) == [
            (POST_JOB, JobStatus.FAILED, 1),
            (UPDATE_JOB, JobStatus.FAILED, 1),
        ]


def test_an_integration_without_a_channel_posts_nothing(rig: SlackRig) -> None:
    _, path = rig.api.integration()
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    assert rig.api.post(f"/api/v1/incidents/{incident}/acknowledge").status_code == 200
    with rig.api.sessions() as session:
        assert session.get(SlackPost, incident) is None
        slack_jobs = select(Job).where(col(Job.kind).startswith("slack."))
        assert session.exec(slack_jobs).all() == []


def test_tokens_and_the_signing_secret_never_reach_the_log(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, path = rig.api.integration(slack_channel="C_OPS")
    incident = open_incident(rig.api, path, "DiskFull", severity="critical", instance="db-1")
    rig.run_jobs()
    rig.mention("U_ADA", "hi", "9.1")
    rig.slack.wait_for("chat.postMessage", 2)
    rig.command(f"ack {incident}", user="U_ADA")
    rig.send(b"{}", "application/json", secret="wrong")
    logged = caplog.text + "\n".join(str(r.msg) for r in caplog.records)
    assert "xoxb-test-token" not in logged and SECRET not in logged
    assert "Invalid request signature" in logged  # the log was captured at all
