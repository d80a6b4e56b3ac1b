"""`/pixelview`: acknowledge, resolve, who is on call, triage, ask.

    /pixelview ack 42                 acknowledge incident 42
    /pixelview resolve 42 [note]      resolve it (the note is the resolution note)
    /pixelview who-is-on-call [name]  who is on call now, on every schedule or one
    /pixelview triage 42              triage it again; the report goes to its Slack thread
    /pixelview ask <question>         ask the chat runner; the answer starts a thread
    /pixelview help

Acting needs a linked PixelView user with the responder role; reading and asking do not.
Results of actions are shown to the channel (who did what); refusals and errors only to the
person who typed the command. Everything but `ask` is answered in the acknowledgement itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from api.slack import blocks
from connectors.notify.slack.mrkdwn import escape
from core.errors import PixelViewError
from incidents.lifecycle import Action

if TYPE_CHECKING:
    from api.slack.bot import SlackBot

USAGE = """\
`{c} ack <incident>` acknowledge an incident
`{c} resolve <incident> [note]` resolve it
`{c} who-is-on-call [schedule]` who is on call now
`{c} triage <incident>` triage it again; the report goes to the incident's thread
`{c} ask <question>` ask PixelView (incidents, on-call, your clusters)"""

VERBS = {"ack": Action.ACKNOWLEDGE, "acknowledge": Action.ACKNOWLEDGE, "resolve": Action.RESOLVE}
DONE = {Action.ACKNOWLEDGE: "acknowledged", Action.RESOLVE: "resolved"}


@dataclass(frozen=True)
class Reply:
    """What a command answers: mrkdwn text, to the channel or to the person only."""

    text: str
    in_channel: bool = False


class SlackCommands:
    """Runs the slash command for the bot."""

    def __init__(self, bot: SlackBot) -> None:
        """Work with `bot`'s users, operations, web client and chat."""
        self._bot = bot

    async def handle(self, ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        """Answer one `/pixelview ...` (Bolt's listener)."""
        verb, _, rest = " ".join(str(command.get("text", "")).split()).partition(" ")
        verb, user, channel = verb.lower(), str(command["user_id"]), str(command["channel_id"])
        if verb == "ask":
            await self._ask(ack, respond, channel, user, rest)
            return
        try:
            reply = await self._run(verb, rest, user=user, channel=channel)
        except PixelViewError as e:
            reply = Reply(escape(e.message))
        await ack(
            text=reply.text,
            blocks=blocks.notice(reply.text),
            response_type="in_channel" if reply.in_channel else "ephemeral",
        )

    async def _run(self, verb: str, rest: str, *, user: str, channel: str) -> Reply:
        usage = USAGE.format(c=self._bot.command)
        if verb in ("", "help"):
            return Reply(usage)
        if verb == "who-is-on-call":
            return Reply(await self._bot.operations.on_call(rest or None), in_channel=True)
        if verb not in (*VERBS, "triage"):
            return Reply(f"I do not know `{escape(verb)}`. I can do:\n{usage}")
        first, _, note = rest.partition(" ")
        incident_id = _incident_id(first)
        if incident_id is None:
            return Reply(
                f"`{self._bot.command} {verb}` needs an incident number, e.g. `{verb} 42`."
            )
        who = await self._bot.users.identify(user)
        refusal = who.refusal()
        if refusal is not None:
            return Reply(refusal)
        if verb == "triage":
            queued = await self._bot.operations.triage(incident_id, who, channel=channel)
            where = "below" if queued.channel == channel else f"in <#{queued.channel}>"
            return Reply(
                f"<@{user}> asked for a triage of incident #{incident_id} (run "
                f"{queued.run_id}); the report will be posted in the incident's thread {where}.",
                in_channel=True,
            )
        action = VERBS[verb]
        card = await self._bot.operations.change_status(incident_id, action, who, note=note or None)
        return Reply(f"<@{user}> {DONE[action]} {escape(blocks.headline(card))}", in_channel=True)

    async def _ask(
        self, ack: AsyncAck, respond: AsyncRespond, channel: str, user: str, question: str
    ) -> None:
        """Post the question in the channel and answer in its thread (answers take a while)."""
        if not question:
            await ack(text=f"Ask something: `{self._bot.command} ask which incidents are open?`")
            return
        await ack()
        text = f"<@{user}> asked: {escape(question)}"
        try:
            root = await self._bot.web.post(channel, text, blocks.notice(text))
        except PixelViewError as e:  # the bot is not in the channel: tell the person alone
            await respond(text=f"I cannot post in this channel ({e.message}); ask me in a DM.")
            return
        await self._bot.ask(root.channel, root.ts, user, question)


def _incident_id(text: str) -> int | None:
    digits = text.removeprefix("#")
    return int(digits) if digits.isdigit() else None
