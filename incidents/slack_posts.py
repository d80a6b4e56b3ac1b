"""Incidents in Slack: which message is an incident's, and the jobs that post and refresh it.

When an incident opens on an integration with a `slack_channel`, its `SlackPost` row and a
`slack.post_incident` job are written in the transaction that opens it; the Slack bot's job
handler (`api/slack/jobs.py`) posts the message and records its `ts`. Later, every status
change queues a `slack.update_incident` job and every triage run that ends a
`slack.post_triage` job, but only for incidents that have a row, so an incident that is not in
Slack costs one primary-key lookup. A job that runs before the message is posted waits for it
(it is retried); nothing here talks to Slack.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.db.bulk import insert_skipping_conflicts
from core.jobs.queue import enqueue
from incidents.models.slack import SlackPost

POST_JOB = "slack.post_incident"
"""Post an incident's message; payload `{"incident_id": <id>}`."""
UPDATE_JOB = "slack.update_incident"
"""Refresh an incident's message after a status change; payload `{"incident_id": <id>}`."""
TRIAGE_JOB = "slack.post_triage"
"""Post a triage run's report (or failure) in the incident's thread; payload `{"run_id": <id>}`."""
ATTEMPTS = 6
"""Tries of each Slack job: with the worker's backoff, about a minute for the message to exist."""


def plan_post(session: Session, incident_id: int, channel: str, *, now: datetime) -> SlackPost:
    """The incident's post: planned here in `channel` with its job, or the one it already has.

    Runs in the caller's transaction (the one that opens the incident, or a Slack request
    that puts an incident in a channel); the caller commits.
    """
    existing = session.get(SlackPost, incident_id)
    if existing is not None:
        return existing
    row = {
        "incident_id": incident_id,
        "channel": channel,
        "created_at": now,
        "updated_at": now,
    }
    inserted = insert_skipping_conflicts(session, SlackPost, [row])
    if inserted:
        _queue(session, POST_JOB, {"incident_id": incident_id}, now, f"slack-post:{incident_id}")
        return inserted[0]
    post = session.get(SlackPost, incident_id, populate_existing=True)
    assert post is not None  # a concurrent request planned it first
    return post


def status_changed(session: Session, incident_id: int, *, now: datetime) -> None:
    """Queue a refresh of the incident's message, when it has one (caller commits)."""
    if session.get(SlackPost, incident_id) is not None:
        _queue(session, UPDATE_JOB, {"incident_id": incident_id}, now)


def triage_ended(session: Session, incident_id: int, run_id: int, *, now: datetime) -> None:
    """Queue the run's report for the incident's thread, when it has one (caller commits)."""
    if session.get(SlackPost, incident_id) is not None:
        _queue(session, TRIAGE_JOB, {"run_id": run_id}, now, f"slack-triage:{run_id}")


def _queue(
    session: Session, kind: str, payload: dict[str, Any], now: datetime, dedup: str | None = None
) -> None:
    enqueue(session, kind=kind, now=now, payload=payload, dedup_key=dedup, max_attempts=ATTEMPTS)


def record_posted(post: SlackPost, *, channel: str, ts: str, now: datetime) -> None:
    """The message is in Slack: remember its channel id (Slack's, for a `#name`) and `ts`."""
    post.channel, post.ts, post.error, post.updated_at = channel, ts, None, now


def record_failed(post: SlackPost, error: str, *, now: datetime) -> None:
    """Posting gave up (the jobs waiting for the message give up too)."""
    post.error, post.updated_at = error[:4000], now
