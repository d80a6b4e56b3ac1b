"""Slack users as PixelView users: an explicit link first, then the profile's e-mail address.

See `incidents/slack_links.py` for the rules. The e-mail address of a Slack profile is read
with `users.info` and remembered for `slack.user_cache_s`; the link and the user are read from
the database on every request, so a new link or a disabled user counts at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.slack.web import SlackWeb
from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import Conflict, PixelViewError
from core.logs import get_logger
from incidents.audit import user_actor
from incidents.models.people import Role, User
from incidents.slack_links import linked_user, user_by_email

log = get_logger(__name__)

_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}


def how_to_link(slack_user: str) -> str:
    """What an unknown Slack user is told (mrkdwn)."""
    return (
        "PixelView does not know who you are in Slack, so you can read and ask but not act. "
        "Link your account: use the same e-mail address in Slack and in PixelView, or add a "
        f"contact method of kind `slack` with your Slack user id `{slack_user}` to your "
        "PixelView user (`POST /api/v1/users/<id>/contact-methods`)."
    )


@dataclass(frozen=True)
class SlackIdentity:
    """Who a Slack user is in PixelView, if anyone."""

    slack_user: str
    user: User | None
    problem: str | None = None
    """Why the user is unknown when something went wrong (several links, Slack unreachable)."""

    @property
    def actor(self) -> str:
        """The audit log's reference: the PixelView user, else the Slack user."""
        return user_actor(self.user.id) if self.user is not None else f"slack:{self.slack_user}"

    def refusal(self, role: Role = Role.RESPONDER) -> str | None:
        """Why this person may not act (mrkdwn), or None when they may."""
        if self.user is None:
            text = how_to_link(self.slack_user)
            return f"{text}\n({self.problem})" if self.problem else text
        if _RANK[Role(self.user.role)] < _RANK[role]:
            return (
                f"This needs the {role.value} role in PixelView; "
                f"{self.user.email} is {self.user.role}."
            )
        return None


class SlackUsers:
    """Finds the PixelView user behind a Slack user id."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, web: SlackWeb, *, cache_s: int
    ) -> None:
        """Read users through `sessions`, Slack profiles through `web`."""
        self._sessions, self._clock, self._web = sessions, clock, web
        self._ttl = timedelta(seconds=cache_s)
        self._emails: dict[str, tuple[str | None, datetime]] = {}

    async def identify(self, slack_user: str) -> SlackIdentity:
        """The linked user, else the user with the profile's e-mail address, else nobody."""
        try:
            linked = await asyncio.to_thread(self._linked, slack_user)
        except Conflict as e:
            return SlackIdentity(slack_user, None, e.message)
        if linked is not None:
            return SlackIdentity(slack_user, linked)
        try:
            email = await self._email(slack_user)
        except PixelViewError as e:
            log.warning("slack.users_info_failed", slack_user=slack_user, error=e.message)
            return SlackIdentity(slack_user, None, f"your Slack profile could not be read: {e}")
        if email is None:
            return SlackIdentity(slack_user, None)
        return SlackIdentity(slack_user, await asyncio.to_thread(self._by_email, email))

    def _linked(self, slack_user: str) -> User | None:
        with self._sessions() as session:
            return linked_user(session, slack_user)

    def _by_email(self, email: str) -> User | None:
        with self._sessions() as session:
            return user_by_email(session, email)

    async def _email(self, slack_user: str) -> str | None:
        now = self._clock.now()
        known = self._emails.get(slack_user)
        if known is not None and now - known[1] < self._ttl:
            return known[0]
        email = await self._web.user_email(slack_user)
        self._emails[slack_user] = (email, now)
        return email
