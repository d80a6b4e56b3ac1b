"""The Slack bot's test rig: the app in HTTP mode against a fake Slack, and signed requests.

People: Ada (responder) is known by the e-mail address of her Slack profile, Bob (responder)
by an explicit link (a `slack` contact method), Vic is a viewer; U_EVE is nobody PixelView knows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine

from agents.chat import ChatRunner
from api.slack.chat import ChatAnswer
from api.slack.jobs import SlackJobs
from api.slack.web import SlackWeb, web_client
from core.jobs.queue import JobQueue, RetryPolicy
from core.jobs.worker import HandlerRegistry, Worker
from core.settings import NotifySettings, Settings, SlackSettings
from incidents.models.notification import ChannelKind
from incidents.models.people import Role
from incidents.models.slack import SlackPost
from incidents.notifications.contacts import ContactCreate, add_contact
from incidents.people import UserCreate, create_user
from tests.fakes.slack import TEAM, FakeSlack, sign
from tests.integration.conftest import T0, Api, api_on

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLIC_URL = "https://pixelview.example.com"
EMAILS = {"U_ADA": "Ada@Example.com", "U_VIC": "vic@example.com", "U_EVE": "eve@elsewhere.org"}


@dataclass
class FakeChat:
    """The chat runner as the bot sees it: records each question, answers with one step."""

    asked: list[dict[str, str]] = field(default_factory=list)

    async def answer(self, *, key: str, question: str, actor: str, owner: str) -> ChatAnswer:
        self.asked.append({"key": key, "question": question, "actor": actor, "owner": owner})
        return ChatAnswer(
            text=f"Answer to: {question} <!channel>",
            trace=["t1 incidents_list(status=open) → ok: 1 incident"],
            mode="none",
        )


@dataclass
class SlackRig:
    """The API with the bot on, the fake Slack, the fake chat, and the people."""

    api: Api
    slack: FakeSlack
    chat: FakeChat
    users: dict[str, uuid.UUID]
    settings: Settings

    @property
    def client(self) -> Any:
        return self.api.client

    def send(self, body: bytes, content_type: str, secret: str = SECRET) -> httpx.Response:
        headers = sign(secret, body) | {"Content-Type": content_type}
        response: httpx.Response = self.client.post("/slack/events", content=body, headers=headers)
        return response

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> httpx.Response:
        """Deliver `event` (its id: `Ev<ts>` unless given; `retry`: Slack's redelivery number)."""
        event_id = event_id or f"Ev{event.get('ts', '')}"
        payload = {"type": "event_callback", "team_id": TEAM, "event_id": event_id, "event": event}
        body = json.dumps(payload).encode()
        headers = sign(SECRET, body) | {"Content-Type": "application/json"}
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        response: httpx.Response = self.client.post("/slack/events", content=body, headers=headers)
        return response

    def mention(
        self, user: str, question: str, ts: str, *, thread_ts: str | None = None
    ) -> httpx.Response:
        """`@PixelView <question>` in #ops (in a thread with `thread_ts`)."""
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@UBOT> {question}",
            "ts": ts,
            "channel": "C_OPS",
        }
        return self.event(event | ({"thread_ts": thread_ts} if thread_ts else {}))

    def command(self, text: str, *, user: str = "U_ADA", channel: str = "C_OPS") -> Any:
        form = {
            "command": "/pixelview",
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": TEAM,
            "response_url": self.slack.response_url(),
            "trigger_id": "t.1",
        }
        response = self.send(urlencode(form).encode(), "application/x-www-form-urlencoded")
        assert response.status_code == 200, response.text
        return response.json() if response.content else None

    def click(
        self, action_id: str, incident_id: int, *, user: str, channel: str, ts: str
    ) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel, "message_ts": ts},
            "message": {"ts": ts, "text": "incident"},
            "response_url": self.slack.response_url("click"),
            "trigger_id": "t.2",
            "actions": [{"type": "button", "action_id": action_id, "value": str(incident_id)}],
        }
        return self.send(
            urlencode({"payload": json.dumps(payload)}).encode(),
            "application/x-www-form-urlencoded",
        )

    def post_of(self, incident_id: int) -> SlackPost:
        with self.api.sessions() as session:
            post = session.get(SlackPost, incident_id)
            assert post is not None, f"incident {incident_id} has no Slack message"
            return post

    def slack_ts(self, incident_id: int) -> str:
        ts = self.post_of(incident_id).ts
        assert ts is not None, f"incident {incident_id}'s Slack message is not posted"
        return ts

    def slack_channel(self, incident_id: int) -> str:
        return self.post_of(incident_id).channel

    def run_jobs(self) -> int:
        """Run the queued jobs (Slack's among them) with the composition root's handlers."""
        web = SlackWeb(web_client(self.settings.slack))
        registry = HandlerRegistry()
        SlackJobs(self.api.sessions, self.api.clock, web, PUBLIC_URL).register(registry)
        worker = Worker(JobQueue(self.api.sessions, self.api.clock, RetryPolicy()), registry)
        ran = 0
        while (done := worker.run_once()) > 0:
            ran += done
        return ran


def slack_settings(slack: FakeSlack) -> Settings:
    return Settings(
        slack=SlackSettings(
            mode="http",
            bot_token=SecretStr("xoxb-test-token"),
            signing_secret=SecretStr(SECRET),
            base_url=slack.base_url,
        ),
        notify=NotifySettings(public_url=PUBLIC_URL),
    )


@contextmanager
def slack_rig(engine: Engine, runner: ChatRunner | None = None) -> Iterator[SlackRig]:
    """The rig; with `runner`, the bot asks the chat runner (as `serve` wires it), else a fake."""
    chat = FakeChat()
    with FakeSlack(emails=EMAILS) as slack:
        settings = slack_settings(slack)
        answers = {"chat": runner} if runner is not None else {"slack_chat": chat}
        with api_on(engine, settings=settings, **answers) as api:
            yield SlackRig(api, slack, chat, people(api), settings)


def people(api: Api) -> dict[str, uuid.UUID]:
    made = {}
    with api.sessions() as session:
        for name, role in (("Ada", Role.RESPONDER), ("Bob", Role.RESPONDER), ("Vic", Role.VIEWER)):
            spec = UserCreate(name=name, email=f"{name.lower()}@example.com", role=role)
            user, _ = create_user(session, spec, now=T0, actor="test")
            made[name] = user.id
        link = ContactCreate(kind=ChannelKind.SLACK, address="U_BOB")
        add_contact(session, made["Bob"], link, now=T0, actor="test")
        session.commit()
    return made
