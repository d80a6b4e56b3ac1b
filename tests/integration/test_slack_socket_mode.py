"""Socket Mode: the bot connects out (no HTTP endpoint) and serves what arrives on the socket.

Slack's side is played on loopback: `apps.connections.open` on the fake Web API hands out the
URL of a local WebSocket that says hello and sends envelopes, as Slack's servers do. What this
cannot show is Slack's own server behaviour (reconnects it asks for, several connections).
"""

from __future__ import annotations

import asyncio

from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy import Engine

from api.slack.bot import SlackBot
from core.clock import ManualClock
from core.db.engine import make_session_factory
from core.settings import Settings, SlackSettings
from tests.fakes.slack import TEAM, FakeSlack, FakeSocketMode
from tests.integration.conftest import T0, api_on

APP_TOKEN = "xapp-1-A0PIXEL-test"


def socket_settings(slack: FakeSlack) -> SlackSettings:
    return SlackSettings(
        mode="socket",
        bot_token=SecretStr("xoxb-test-token"),
        app_token=SecretStr(APP_TOKEN),
        base_url=slack.base_url,
    )


def test_socket_mode_is_built_from_the_settings(engine: Engine) -> None:
    with FakeSlack() as slack:
        bot = SlackBot(
            socket_settings(slack),
            sessions=make_session_factory(engine),
            clock=ManualClock(T0),
            public_url=None,
        )

        async def build() -> AsyncSocketModeHandler:
            handler = bot.socket_handler()
            await handler.close_async()  # type: ignore[no-untyped-call]
            return handler

        handler = asyncio.run(build())
    assert handler.app is bot.app and handler.app_token == APP_TOKEN
    assert handler.client.web_client.base_url == slack.base_url


def test_the_api_serves_while_slack_cannot_be_reached(engine: Engine) -> None:
    with FakeSlack() as slack:
        slack.failing["apps.connections.open"] = "invalid_auth"
        settings = Settings(slack=socket_settings(slack))
        with api_on(engine, settings=settings) as api:
            assert api.client.get("/healthz").status_code == 200
            slack.wait_for("apps.connections.open")


def test_socket_mode_connects_out_and_serves_commands_and_events(engine: Engine) -> None:
    command = {
        "envelope_id": "e-command",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "command": "/pixelview",
            "text": "who-is-on-call",
            "user_id": "U_EVE",
            "channel_id": "C_OPS",
            "team_id": TEAM,
            "response_url": "http://127.0.0.1:9/unused",
        },
    }
    mention = {
        "envelope_id": "e-event",
        "type": "events_api",
        "accepts_response_payload": False,
        "payload": {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": "Ev1",
            "event": {
                "type": "app_mention",
                "user": "U_EVE",
                "text": "<@UBOT> hello",
                "ts": "1700000100.000100",
                "channel": "C_OPS",
            },
        },
    }
    with FakeSlack() as slack, FakeSocketMode([command, mention]) as socket:
        slack.socket_url = socket.url
        settings = Settings(slack=socket_settings(slack))
        with api_on(engine, settings=settings) as api:
            assert api.client.post("/slack/events", content=b"{}").status_code == 404
            [opened] = slack.wait_for("apps.connections.open")
            assert opened.token == APP_TOKEN
            acked = socket.wait_for("e-command")
            assert acked["payload"]["text"] == "No on-call schedule is set up in PixelView."
            assert socket.wait_for("e-event") == {"envelope_id": "e-event"}
            [answer] = slack.wait_for("chat.postMessage")
            assert answer.args["thread_ts"] == "1700000100.000100"
            assert answer.args["text"].startswith("Chat is not available")
