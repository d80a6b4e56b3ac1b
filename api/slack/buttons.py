"""The buttons of an incident's message: Acknowledge, Resolve, Re-run triage.

A click is acknowledged at once; then the action goes through the same service as the API with
the clicking person's PixelView user as the actor, and the message is replaced by the
incident's new state (also after a refusal, so a stale message catches up). Refusals (unknown
user, missing role, an incident already resolved) are shown to the person alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck

from api.slack import blocks
from api.slack.people import SlackIdentity
from connectors.notify.slack.mrkdwn import escape
from core.errors import PixelViewError
from core.logs import get_logger
from incidents.lifecycle import Action

if TYPE_CHECKING:
    from api.slack.bot import SlackBot

log = get_logger(__name__)

STATUS_ACTIONS = {blocks.ACKNOWLEDGE: Action.ACKNOWLEDGE, blocks.RESOLVE: Action.RESOLVE}


class SlackButtons:
    """Handles clicks on the incident buttons for the bot."""

    def __init__(self, bot: SlackBot) -> None:
        """Work with `bot`'s users, operations and web client."""
        self._bot = bot

    async def handle(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """One click (Bolt's listener for `block_actions`)."""
        await ack()
        user = str(body["user"]["id"])
        channel = str((body.get("channel") or {}).get("id") or body["container"]["channel_id"])
        ts = str((body.get("message") or {}).get("ts") or body["container"]["message_ts"])
        incident_id = int(action["value"])
        who = await self._bot.users.identify(user)
        try:
            refusal = who.refusal()
            if refusal is not None:
                await self._bot.web.ephemeral(channel, user, refusal)
            else:
                await self._act(str(action["action_id"]), incident_id, who, channel, ts)
        except PixelViewError as e:  # a Conflict (already resolved), NotFound, Slack refusing
            await self._tell(channel, user, e.message)
        try:
            text, message = blocks.incident_message(await self._bot.operations.card(incident_id))
            await self._bot.web.update(channel, ts, text, message)
        except PixelViewError as e:
            log.warning("slack.update_failed", incident_id=incident_id, error=e.message)

    async def _act(
        self, action_id: str, incident_id: int, who: SlackIdentity, channel: str, ts: str
    ) -> None:
        status_action = STATUS_ACTIONS.get(action_id)
        if status_action is not None:
            await self._bot.operations.change_status(incident_id, status_action, who)
            return
        queued = await self._bot.operations.triage(incident_id, who, channel=channel)
        text = (
            f"<@{who.slack_user}> asked for a new triage (run {queued.run_id}); "
            "the report will follow in this thread."
        )
        await self._bot.web.post(channel, text, blocks.notice(text), thread_ts=ts)

    async def _tell(self, channel: str, user: str, text: str) -> None:
        try:
            await self._bot.web.ephemeral(channel, user, escape(text))
        except PixelViewError as e:
            log.warning("slack.ephemeral_failed", channel=channel, error=e.message)
