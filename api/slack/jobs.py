"""The worker's Slack jobs: post an incident's message, refresh it, post triage in its thread.

Queued by `incidents/slack_posts.py` in the transactions that open an incident, change its
status or end a triage run. A refresh or a report that comes before the message is posted
fails with `Unavailable` and is retried with backoff until it is there; once posting has given
up (a channel that does not exist, a bot not invited), they give up too. Slack has no
idempotency key: a post whose response was lost is posted again on the retry.
"""

from __future__ import annotations

from collections.abc import Awaitable

from sqlmodel import Session

from api.slack import blocks
from api.slack.cards import incident_card, triage_card
from api.slack.web import SlackWeb
from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import Forbidden, InvalidRequest, NotFound, Unavailable
from core.jobs.models import ClaimedJob
from core.jobs.worker import HandlerRegistry, PermanentJobError
from core.logs import get_logger
from incidents import slack_posts
from incidents.models.slack import SlackPost
from incidents.models.triage import TriageRun

log = get_logger(__name__)

_NEVER = (Forbidden, InvalidRequest)
"""What Slack will refuse again: a wrong token or scope, an unknown channel, a bad message."""


class SlackJobs:
    """Handlers of `slack.post_incident`, `slack.update_incident` and `slack.post_triage`."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, web: SlackWeb, public_url: str | None
    ) -> None:
        """Read through `sessions`, post through `web`, link under `public_url`."""
        self._sessions, self._clock, self._web = sessions, clock, web
        self._public_url = public_url

    def register(self, handlers: HandlerRegistry) -> None:
        """Register the three handlers."""
        handlers.register(slack_posts.POST_JOB, self.post_incident)
        handlers.register(slack_posts.UPDATE_JOB, self.update_incident)
        handlers.register(slack_posts.TRIAGE_JOB, self.post_triage)

    async def post_incident(self, job: ClaimedJob) -> None:
        """Post the incident's message once and remember its `ts`."""
        incident_id = _payload_id(job, "incident_id")
        with self._sessions() as session:
            post = _post(session, incident_id)
            if post.ts is not None or post.error is not None:
                return  # posted by an earlier attempt whose job outcome was lost, or given up
            channel = post.channel
            text, message = blocks.incident_message(
                incident_card(session, incident_id, self._public_url)
            )
        try:
            posted = await self._web.post(channel, text, message)
        except _NEVER as e:
            with self._sessions() as session:
                slack_posts.record_failed(
                    _post(session, incident_id), e.message, now=self._clock.now()
                )
                session.commit()
            raise PermanentJobError(e.message) from e
        with self._sessions() as session:
            slack_posts.record_posted(
                _post(session, incident_id),
                channel=posted.channel,
                ts=posted.ts,
                now=self._clock.now(),
            )
            session.commit()
        log.info("slack.incident_posted", incident_id=incident_id, channel=posted.channel)

    async def update_incident(self, job: ClaimedJob) -> None:
        """Replace the incident's message with its current state."""
        incident_id = _payload_id(job, "incident_id")
        with self._sessions() as session:
            channel, ts = _posted(_post(session, incident_id))
            text, message = blocks.incident_message(
                incident_card(session, incident_id, self._public_url)
            )
        await _never_again(self._web.update(channel, ts, text, message))

    async def post_triage(self, job: ClaimedJob) -> None:
        """Post a finished run's report (or its failure) in the incident's thread."""
        run_id = _payload_id(job, "run_id")
        with self._sessions() as session:
            run = session.get(TriageRun, run_id)
            if run is None:
                raise PermanentJobError(f"triage run {run_id} does not exist")
            channel, ts = _posted(_post(session, run.incident_id))
            try:
                text, message = blocks.triage_message(
                    triage_card(session, run_id, self._public_url)
                )
            except NotFound as e:
                raise PermanentJobError(e.message) from e
        await _never_again(self._web.post(channel, text, message, thread_ts=ts))


def _payload_id(job: ClaimedJob, key: str) -> int:
    value = job.payload.get(key)
    if not isinstance(value, int):
        raise PermanentJobError(f"{job.kind} job {job.id} has no {key} in its payload")
    return value


def _post(session: Session, incident_id: int) -> SlackPost:
    post = session.get(SlackPost, incident_id)
    if post is None:
        raise PermanentJobError(f"incident {incident_id} has no Slack message")
    return post


def _posted(post: SlackPost) -> tuple[str, str]:
    """The message's channel and `ts`; retry while it is not posted, give up if it never will."""
    if post.error is not None:
        raise PermanentJobError(
            f"incident {post.incident_id}'s Slack message was never posted: {post.error}"
        )
    if post.ts is None:
        raise Unavailable(f"incident {post.incident_id}'s Slack message is not posted yet")
    return post.channel, post.ts


async def _never_again(call: Awaitable[object]) -> None:
    """Await a Slack call; what Slack will refuse again fails the job without retries."""
    try:
        await call
    except _NEVER as e:
        raise PermanentJobError(e.message) from e
