"""HTTP mode: Slack's events, slash commands and button clicks at `POST /slack/events`.

Bolt verifies each request's signature (HMAC-SHA256 of `v0:<timestamp>:<body>` with the
signing secret, timestamps older than five minutes refused) before any listener runs; a
request that fails is answered 401 with PixelView's error body instead of Bolt's bare one.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

from api.slack.bot import SlackBot

EVENTS_PATH = "/slack/events"
"""The Request URL of the Slack app's events, slash command and interactivity."""
BAD_SIGNATURE = (
    "the request is not signed by Slack: its X-Slack-Signature does not match the body and "
    "X-Slack-Request-Timestamp under slack.signing_secret, or the timestamp is over five "
    "minutes old"
)


def mount_events(app: FastAPI, bot: SlackBot) -> None:
    """Add `POST /slack/events`, served by `bot`'s Bolt app."""
    handler = AsyncSlackRequestHandler(bot.app)

    async def slack_events(request: Request) -> Response:
        response = await handler.handle(request)
        if response.status_code == 401:
            return JSONResponse(
                {"error": "unauthenticated", "message": BAD_SIGNATURE}, status_code=401
            )
        return response

    app.add_api_route(
        EVENTS_PATH,
        slack_events,
        methods=["POST"],
        include_in_schema=False,
        name="slack_events",
    )
