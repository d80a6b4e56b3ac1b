"""What Slack asks of PixelView, through the same services as the API, as the mapped user.

Acknowledge and resolve go through `incidents.service.change_status` (timeline, audit log,
escalation), a re-run through `incidents.triage.request_triage`, each with the Slack user's
PixelView user as the actor, in a transaction of its own. The database is synchronous, so each
operation runs in a thread; the caller is Bolt's event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from api.slack.cards import IncidentCard, incident_card
from api.slack.people import SlackIdentity
from connectors.notify.slack.mrkdwn import escape
from core.clock import Clock
from core.db.engine import SessionFactory
from incidents import service, slack_posts
from incidents.lifecycle import Action
from incidents.models.people import User
from incidents.models.triage import TriageTrigger
from incidents.oncall import store
from incidents.slack_links import slack_ids
from incidents.triage import request_triage


@dataclass(frozen=True)
class TriageQueued:
    """A triage run asked for from Slack, and the message whose thread will get its report."""

    run_id: int
    channel: str
    """The channel of the incident's message (posted already, or about to be)."""


class SlackOperations:
    """Acts on incidents and reads on-call for the Slack bot."""

    def __init__(self, sessions: SessionFactory, clock: Clock, public_url: str | None) -> None:
        """Work through `sessions`; link incidents under `public_url`."""
        self._sessions, self._clock, self._public_url = sessions, clock, public_url

    async def card(self, incident_id: int) -> IncidentCard:
        """The incident as its message shows it (NotFound)."""

        def read() -> IncidentCard:
            with self._sessions() as session:
                return incident_card(session, incident_id, self._public_url)

        return await asyncio.to_thread(read)

    async def change_status(
        self, incident_id: int, action: Action, who: SlackIdentity, *, note: str | None = None
    ) -> IncidentCard:
        """Acknowledge or resolve as `who` (NotFound, Conflict); the incident's new card."""
        assert who.user is not None  # the caller checked `who.refusal()`

        def write() -> IncidentCard:
            with self._sessions() as session:
                service.change_status(
                    session,
                    incident_id,
                    action,
                    now=self._clock.now(),
                    actor=who.actor,
                    note=note,
                )
                session.commit()
                return incident_card(session, incident_id, self._public_url)

        return await asyncio.to_thread(write)

    async def triage(self, incident_id: int, who: SlackIdentity, *, channel: str) -> TriageQueued:
        """Queue a triage run as `who`; its report goes to the incident's Slack thread.

        An incident with no Slack message yet gets one in `channel` (the one the request came
        from), so that the report has a thread to go to.
        """
        assert who.user is not None

        def write() -> TriageQueued:
            with self._sessions() as session:
                now = self._clock.now()
                run = request_triage(
                    session,
                    incident_id,
                    now=now,
                    trigger=TriageTrigger.REQUESTED,
                    actor=who.actor,
                )
                post = slack_posts.plan_post(session, incident_id, channel, now=now)
                assert run.id is not None  # flushed
                queued = TriageQueued(run_id=run.id, channel=post.channel)
                session.commit()
                return queued

        return await asyncio.to_thread(write)

    async def on_call(self, schedule: str | None) -> str:
        """Who is on call now on every schedule, or on the one named (mrkdwn)."""
        return await asyncio.to_thread(self._on_call, schedule)

    def _on_call(self, wanted: str | None) -> str:
        now = self._clock.now()
        with self._sessions() as session:
            schedules = store.list_schedules(session)
            if not schedules:
                return "No on-call schedule is set up in PixelView."
            if wanted:
                exact = [s for s in schedules if s.name.lower() == wanted.lower()]
                chosen = exact or [s for s in schedules if wanted.lower() in s.name.lower()]
                if not chosen:
                    names = ", ".join(f"`{escape(s.name)}`" for s in schedules)
                    return f"No schedule is named `{escape(wanted)}`. Schedules: {names}."
                schedules = chosen
            lines = []
            for row in schedules:
                on_call = [session.get(User, i) for i in store.who_is_on_call(session, row.id, now)]
                users = [u for u in on_call if u is not None]
                mentions = slack_ids(session, [u.id for u in users])
                lines.append(f"• *{escape(row.name)}*: {_people(users, mentions)}")
        return "On call now:\n" + "\n".join(lines)


def _people(users: list[User], slack: dict[uuid.UUID, str]) -> str:
    if not users:
        return "nobody"
    return ", ".join(
        f"{escape(u.name)} (<@{slack[u.id]}>)" if u.id in slack else escape(u.name) for u in users
    )
