"""The Slack bot: a Bolt `AsyncApp` with PixelView's listeners, in HTTP or Socket Mode.

    mention or DM ──▶ chat runner ──▶ answer in the thread, steps in compact form
    /pixelview ack|resolve|who-is-on-call|triage|ask ──▶ commands.py
    Acknowledge / Resolve / Re-run triage buttons ──▶ buttons.py

`slack.mode` chooses how Slack reaches the bot: `http` mounts `POST /slack/events` in the API
(every request's signature is verified with the signing secret), `socket` connects out to
Slack with the app-level token while the API runs (for teams behind a firewall). The bot
answers Slack within its 3 seconds: events are acknowledged at once and answered afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse

from api.slack import blocks
from api.slack.buttons import SlackButtons
from api.slack.chat import SlackChat, thread_key
from api.slack.commands import SlackCommands
from api.slack.operations import SlackOperations
from api.slack.people import SlackUsers
from api.slack.retries import SeenEvents
from api.slack.web import SlackWeb, web_client
from connectors.notify.slack.mrkdwn import escape
from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import PixelViewError
from core.logs import get_logger
from core.settings import SlackSettings

log = get_logger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
NO_CHAT = "Chat is not available in this PixelView yet; the slash command works: `{command} help`."


class SlackBot:
    """The Bolt app and everything its listeners work with."""

    def __init__(
        self,
        settings: SlackSettings,
        *,
        sessions: SessionFactory,
        clock: Clock,
        public_url: str | None,
        chat: SlackChat | None = None,
    ) -> None:
        """Build the app from `settings` (mode `http` or `socket`); nothing connects yet."""
        if settings.mode == "off":
            raise ValueError("the Slack bot is off (slack.mode)")
        self.mode = settings.mode
        self.command = settings.command
        self._app_token = settings.app_token
        client = web_client(settings)
        self.web = SlackWeb(client)
        self.users = SlackUsers(sessions, clock, self.web, cache_s=settings.user_cache_s)
        self.operations = SlackOperations(sessions, clock, public_url)
        self.chat = chat
        http = settings.mode == "http"
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
        self.app = AsyncApp(
            name="pixelview",
            client=client,
            signing_secret=secret,
            request_verification_enabled=http,
            url_verification_enabled=http,
            ssl_check_enabled=http,
        )
        self._socket: AsyncSocketModeHandler | None = None
        self._seen = SeenEvents(clock)
        self._register()

    def _register(self) -> None:
        commands = SlackCommands(self)
        buttons = SlackButtons(self)
        self.app.middleware(self._once)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command(self.command)(commands.handle)
        self.app.action(re.compile(r"^pixelview\.(acknowledge|resolve|triage)$"))(buttons.handle)
        self.app.action(blocks.OPEN)(self._on_link)

    def socket_handler(self) -> AsyncSocketModeHandler:
        """Socket Mode's handler over this app (mode `socket`), built once."""
        if self._socket is None:
            assert self._app_token is not None  # SlackSettings requires it in socket mode
            self._socket = AsyncSocketModeHandler(
                self.app, self._app_token.get_secret_value(), web_client=self.app.client
            )
        return self._socket

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the API serves: connected to Slack in Socket Mode; nothing to do for HTTP.

        The connection is made in the background, so the API serves even while Slack cannot
        be reached; the Socket Mode client keeps trying (every 10 s, logged) until it can.
        """
        if self.mode != "socket":
            yield
            return
        handler = self.socket_handler()
        connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
        log.info("slack.socket_mode_starting")
        try:
            yield
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]  # stops the retries
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            log.info("slack.socket_mode_closed")

    async def _once(
        self, body: dict[str, Any], response: BoltResponse, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse:
        """Acknowledge and drop a redelivered event (`retries.py`); pass everything else on."""
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not self._seen.first(event_id):
            log.info("slack.event_redelivered", event_id=event_id)
            return BoltResponse(status=200, body="")
        await next()
        return response

    async def _on_mention(self, event: dict[str, Any]) -> None:
        """`@PixelView question` in a channel: answer in the thread."""
        question = MENTION.sub("", str(event.get("text", ""))).strip()
        await self.answer_in_thread(event, question)

    async def _on_message(self, event: dict[str, Any]) -> None:
        """A direct message to the bot (other message events are not for it)."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await self.answer_in_thread(event, str(event.get("text", "")).strip())

    async def _on_link(self, ack: AsyncAck) -> None:
        """`Open in PixelView` is a link: Slack opens it, the bot only acknowledges the click."""
        await ack()

    async def answer_in_thread(self, event: dict[str, Any], question: str) -> None:
        """Ask the chat runner and post its answer in the event's thread."""
        channel, user = str(event["channel"]), str(event.get("user", ""))
        thread = str(event.get("thread_ts") or event["ts"])
        await self.ask(channel, thread, user, question)

    async def ask(self, channel: str, thread: str, user: str, question: str) -> None:
        """Answer `question` from `user` in the thread `thread` of `channel`."""
        try:
            if not question:
                text = f"Ask me about incidents, on-call or clusters, or try `{self.command} help`."
                await self.web.post(channel, text, blocks.notice(text), thread_ts=thread)
                return
            if self.chat is None:
                text = NO_CHAT.format(command=self.command)
                await self.web.post(channel, text, blocks.notice(text), thread_ts=thread)
                return
            who = await self.users.identify(user)
            answer = await self.chat.answer(
                key=thread_key(channel, thread),
                question=question,
                actor=who.actor,
                owner=f"slack:{user}",
            )
            text, body = blocks.answer_message(answer)
            await self.web.post(channel, text, body, thread_ts=thread)
        except PixelViewError as e:  # Slack refused the answer, or the question was refused
            log.warning("slack.answer_failed", channel=channel, error=e.message)
            await self._tell(channel, thread, f"I could not answer: {e.message}")

    async def _tell(self, channel: str, thread: str, text: str) -> None:
        try:
            await self.web.post(channel, text, blocks.notice(escape(text)), thread_ts=thread)
        except PixelViewError as e:
            log.warning("slack.reply_failed", channel=channel, error=e.message)
