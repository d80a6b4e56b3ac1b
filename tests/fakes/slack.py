"""A fake Slack on loopback: the Web API methods the bot calls, response URLs, and signing.

    with FakeSlack(emails={"U1": "ada@example.com"}) as slack:
        settings = SlackSettings(mode="http", base_url=slack.base_url, ...)
        ...
        [post] = slack.wait_for("chat.postMessage")

Web API calls are recorded with their arguments, whether the SDK sent them as JSON, as a form
or in the query string. `chat.postMessage` answers a new `ts` each time; a channel in
`missing_channels` answers `channel_not_found`, as Slack does. Requests to the app are signed
exactly as Slack signs them (`sign`). `FakeSocketMode` is Socket Mode's WebSocket end.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.http import FakeHttpServer, Recorded, Reply

BOT_USER = "UBOT"
TEAM = "T0PIXEL"


@dataclass(frozen=True)
class Call:
    """One Web API call (or response-URL post): the method and its arguments."""

    method: str
    args: dict[str, Any]
    token: str | None


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


class Recorder:
    """What a fake received, and a way to wait for it (the bot answers after acknowledging)."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self._changed = threading.Condition()

    def record(self, item: Any) -> None:
        with self._changed:
            self.received.append(item)
            self._changed.notify_all()

    def wait(self, matches: Callable[[Any], bool], count: int, timeout_s: float) -> list[Any]:
        """At least `count` received items that match, or an assertion error after the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = [item for item in self.received if matches(item)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    break
                self._changed.wait(left)
        assert len(found) >= count, f"{len(found)} received, wanted {count}: {self.received}"
        return found


class FakeSlack(FakeHttpServer):
    """Slack's Web API at `<url>/api/<method>`, and response URLs at `<url>/respond/<id>`."""

    def __init__(self, *, emails: dict[str, str] | None = None) -> None:
        """`emails`: the profile e-mail address of each Slack user `users.info` knows."""
        super().__init__(self._answer_call)
        self.emails = dict(emails or {})
        self.missing_channels: set[str] = set()
        self.failing: dict[str, str] = {}
        """Methods that fail, with Slack's error code (`{"auth.test": "invalid_auth"}`)."""
        self.socket_url: str | None = None
        """What `apps.connections.open` answers (Socket Mode)."""
        self._calls = Recorder()
        self._ts = itertools.count(1)

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in order."""
        return list(self._calls.received)

    @property
    def base_url(self) -> str:
        """The Web API base for `slack.base_url`."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response URL as Slack puts in a slash command or a click."""
        return f"{self.url}/respond/{name}"

    def calls_to(self, method: str) -> list[Call]:
        """The calls of one method so far, in order."""
        return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout_s: float = 10.0,
        where: Callable[[Call], bool] = lambda _call: True,
    ) -> list[Call]:
        """At least `count` calls of `method` (`where` they match): the bot answers later."""
        return self._calls.wait(lambda c: c.method == method and where(c), count, timeout_s)

    def _answer_call(self, request: Recorded) -> Reply:
        method = request.path.removeprefix("/api/")
        if request.path.startswith("/respond/"):
            method = "response_url"
        auth = request.headers.get("authorization", "")
        call = Call(method=method, args=_arguments(request), token=auth.removeprefix("Bearer "))
        self._calls.record(call)
        return Reply.json(self._result(call))

    def _result(self, call: Call) -> dict[str, Any]:
        args = call.args
        channel = str(args.get("channel", ""))
        if call.method in self.failing:
            return {"ok": False, "error": self.failing[call.method]}
        if channel in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if call.method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BPIXEL", "team_id": TEAM}
        if call.method == "chat.postMessage":
            posted_in = "C" + channel.lstrip("#").upper() if channel.startswith("#") else channel
            return {"ok": True, "channel": posted_in, "ts": f"1700000000.{next(self._ts):06d}"}
        if call.method == "chat.update":
            return {"ok": True, "channel": channel, "ts": args.get("ts")}
        if call.method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if call.method == "users.info":
            user = str(args.get("user"))
            if user not in self.emails:
                return {"ok": True, "user": {"id": user, "profile": {}}}
            return {"ok": True, "user": {"id": user, "profile": {"email": self.emails[user]}}}
        if call.method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return {"ok": True}


def _arguments(request: Recorded) -> dict[str, Any]:
    arguments: dict[str, Any] = dict(parse_qsl(request.query))
    content_type = request.headers.get("content-type", "")
    if request.body and content_type.startswith("application/json"):
        arguments |= request.json()
    elif request.body:
        arguments |= request.form()
    for name in ("blocks",):  # a form sends JSON-valued arguments as strings
        if isinstance(arguments.get(name), str):
            arguments[name] = json.loads(arguments[name])
    return arguments


class FakeSocketMode:
    """Slack's Socket Mode end: a WebSocket on loopback that says hello, then sends envelopes.

    Point `FakeSlack.socket_url` at `url` so that `apps.connections.open` hands it out. What the
    app sends back (its acknowledgements, with their payloads) is in `received`.
    """

    def __init__(self, envelopes: list[dict[str, Any]]) -> None:
        """Send `envelopes`, in order, to every connection after its hello."""
        self.envelopes = envelopes
        self.received = Recorder()
        """The app's messages on the socket."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def wait_for(self, envelope_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
        """The app's acknowledgement of one envelope."""
        [ack] = self.received.wait(lambda r: r.get("envelope_id") == envelope_id, 1, timeout_s)
        return dict(ack)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        for envelope in self.envelopes:
            await socket.send_json(envelope)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.received.record(json.loads(message.data))
        return socket

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"ws://{host}:{port}/link"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
