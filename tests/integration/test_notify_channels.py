"""The notification channels against servers on loopback: fakes of Slack, Twilio, PagerDuty and
a webhook receiver, and a real SMTP server (aiosmtpd).

Each test checks what the provider received and how its failures map to `core.errors`.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from pydantic import TypeAdapter, ValidationError

from connectors.notify.email.client import EmailNotifier
from connectors.notify.errors import RateLimited
from connectors.notify.models import (
    EmailTarget,
    Message,
    PagerDutyTarget,
    SlackTarget,
    SmsTarget,
    Target,
    WebhookTarget,
)
from connectors.notify.pagerduty.client import PagerDutyNotifier
from connectors.notify.port import Notifier
from connectors.notify.slack.client import SlackNotifier
from connectors.notify.sms.client import SmsNotifier
from connectors.notify.webhook.client import WebhookNotifier
from core.clock import ManualClock
from core.errors import Forbidden, InvalidRequest, PixelViewError, Unavailable
from tests.fakes.http import FakeHttpServer, Recorded, Reply, closed_port_url, free_port

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
PAGE = Message(
    incident_id=42,
    title="Disk full on db-1",
    severity="critical",
    status="triggered",
    summary="/var/lib/postgresql is 100% full; writes <fail> & the primary is read-only.",
    url="https://pixelview.example.com/incidents/42",
    event="trigger",
    idempotency_key="delivery-42-1",
    fields={"cluster": "prod-eu"},
)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fakes are on loopback: a proxy from the environment must not catch the requests."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_every_client_implements_the_port() -> None:
    notifiers: tuple[
        Notifier[SlackTarget],
        Notifier[EmailTarget],
        Notifier[SmsTarget],
        Notifier[PagerDutyTarget],
        Notifier[WebhookTarget],
    ] = (
        SlackNotifier("xoxb-test"),
        EmailNotifier("127.0.0.1", starttls=False, sender="pixelview@example.com"),
        SmsNotifier("AC1", "token", "+15550000000"),
        PagerDutyNotifier(),
        WebhookNotifier(),
    )
    assert all(callable(n.send) for n in notifiers)


def test_targets_are_validated_and_round_trip_as_json() -> None:
    assert SmsTarget(number="+1 (555) 123-4567").number == "+15551234567"
    for bad in ({"kind": "sms", "number": "555-1234"}, {"kind": "email", "address": "a b@x.io"}):
        with pytest.raises(ValidationError):
            TypeAdapter(Target).validate_python(bad)
    hook = WebhookTarget(url="https://hooks.example.com/T0/secret-path?token=x", secret="s3cret")
    assert TypeAdapter(Target).validate_json(hook.model_dump_json()) == hook
    assert "s3cret" not in repr(hook)
    assert hook.label() == "https://hooks.example.com/..."


# ------------------------------------------------------------------------------------ Slack


def slack_api(request: Recorded) -> Reply:
    assert request.path == "/api/chat.postMessage"
    channel = request.json()["channel"]
    if channel == "C1":
        body = {"ok": True, "channel": "C1", "ts": "1700000000.000100", "message": {"text": "x"}}
        return Reply.json(body)
    if channel == "C-limited":
        return Reply.json({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "7"})
    if channel == "C-down":
        return Reply(503, b"<html>upstream unavailable</html>", {"Content-Type": "text/html"})
    return Reply.json({"ok": False, "error": channel.removeprefix("C-")})


@pytest.fixture
def slack() -> Iterator[FakeHttpServer]:
    with FakeHttpServer(slack_api) as server:
        yield server


def test_slack_posts_blocks_and_fallback_text(slack: FakeHttpServer) -> None:
    notifier = SlackNotifier("xoxb-test", base_url=f"{slack.url}/api/")
    receipt = notifier.send(SlackTarget(channel="C1"), PAGE)

    assert receipt.model_dump() == {
        "channel": "slack",
        "target": "C1",
        "provider_id": "C1/1700000000.000100",
    }
    (request,) = slack.requests
    assert request.headers["authorization"] == "Bearer xoxb-test"
    sent = request.json()
    assert sent["channel"] == "C1"
    assert sent["text"].startswith("Triggered: [CRITICAL] #42 Disk full on db-1")
    header, fields, summary, actions, context = sent["blocks"]
    assert header["text"]["text"] == "Triggered: [CRITICAL] #42 Disk full on db-1"
    assert [f["text"] for f in fields["fields"]] == [
        "*Severity*\ncritical",
        "*Status*\ntriggered",
        "*cluster*\nprod-eu",
    ]
    assert "&lt;fail&gt; &amp; the primary" in summary["text"]["text"]
    (button,) = actions["elements"]
    assert button["url"] == PAGE.url
    assert "#42" in context["elements"][0]["text"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C-channel_not_found", InvalidRequest),
        ("C-not_in_channel", InvalidRequest),
        ("C-invalid_auth", Forbidden),
        ("C-internal_error", Unavailable),
        ("C-down", Unavailable),
    ],
)
def test_slack_errors_are_mapped(
    slack: FakeHttpServer, channel: str, error: type[PixelViewError]
) -> None:
    notifier = SlackNotifier("xoxb-test", base_url=f"{slack.url}/api/")
    with pytest.raises(error) as raised:
        notifier.send(SlackTarget(channel=channel), PAGE)
    assert not isinstance(raised.value, RateLimited)
    assert f"slack delivery to {channel} failed" in raised.value.message


def test_slack_rate_limit_says_how_long_to_wait(slack: FakeHttpServer) -> None:
    notifier = SlackNotifier("xoxb-test", base_url=f"{slack.url}/api/")
    with pytest.raises(RateLimited, match="ratelimited") as raised:
        notifier.send(SlackTarget(channel="C-limited"), PAGE)
    assert raised.value.retry_after_s == 7
    assert len(slack.requests) == 1  # the SDK's own retries are off: the outbox retries


def test_slack_unreachable_is_unavailable() -> None:
    notifier = SlackNotifier("xoxb-test", base_url=f"{closed_port_url()}/api/", timeout_s=2)
    with pytest.raises(Unavailable, match="cannot reach Slack"):
        notifier.send(SlackTarget(channel="C1"), PAGE)


# ------------------------------------------------------------------------------------ email


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and refuses some recipients."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.delivered: list[tuple[Envelope, EmailMessage]] = []
        self.sessions = 0

    async def handle_EHLO(
        self, _server: SMTP, session: Session, _envelope: Envelope, name: str, lines: list[str]
    ) -> list[str]:
        self.sessions += 1  # one EHLO per session (no STARTTLS here)
        session.host_name = name  # what aiosmtpd does when no handler takes EHLO
        return lines

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _opts: list[str]
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = BytesParser(policy=email.policy.default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.delivered.append((envelope, parsed))
        return "250 2.0.0 Ok: queued"


def refuse_every_login(*_args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


def smtp_controller(mailbox: Mailbox, port: int) -> Controller:
    """A started aiosmtpd server on `port` delivering to `mailbox`."""
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=refuse_every_login,
        auth_require_tls=False,
    )
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox(refused={"nobody@example.com"})
    port = free_port()
    controller = smtp_controller(mailbox, port)
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailer_of() -> Iterator[Callable[..., EmailNotifier]]:
    """Makes notifiers as `mailer` does, and closes them (their idle sessions) afterwards."""
    made: list[EmailNotifier] = []

    def make(port: int, **options: Any) -> EmailNotifier:
        made.append(mailer(port, **options))
        return made[-1]

    yield make
    for notifier in made:
        notifier.close()


def mailer(port: int, *, timeout_s: float = 5, **options: Any) -> EmailNotifier:
    return EmailNotifier(
        "127.0.0.1",
        port,
        starttls=False,
        sender="PixelView <pixelview@example.com>",
        timeout_s=timeout_s,
        clock=ManualClock(T0),
        **options,
    )


def test_email_sends_text_and_html_with_a_stable_message_id(
    smtp: tuple[Mailbox, int], mailer_of: Callable[..., EmailNotifier]
) -> None:
    mailbox, port = smtp
    first = mailer_of(port).send(EmailTarget(address="oncall@example.com"), PAGE)
    second = mailer_of(port).send(EmailTarget(address="oncall@example.com"), PAGE)
    other = PAGE.model_copy(update={"idempotency_key": "delivery-42-2"})
    third = mailer_of(port).send(EmailTarget(address="oncall@example.com"), other)

    assert first.provider_id == second.provider_id != third.provider_id
    assert first.provider_id is not None
    assert first.provider_id.endswith(".pixelview@example.com>")
    envelope, mail = mailbox.delivered[0]
    assert envelope.mail_from == "pixelview@example.com"
    assert envelope.rcpt_tos == ["oncall@example.com"]
    assert mail["From"] == "PixelView <pixelview@example.com>"
    assert mail["To"] == "oncall@example.com"
    assert mail["Subject"] == "Triggered: [CRITICAL] #42 Disk full on db-1"
    assert mail["Message-ID"] == first.provider_id
    assert mail["X-PixelView-Delivery"] == "delivery-42-1"
    assert mail["Date"].datetime == T0
    plain = mail.get_body(("plain",))
    rich = mail.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(rich, EmailMessage)
    assert "Open the incident: https://pixelview.example.com/incidents/42" in plain.get_content()
    assert "cluster: prod-eu" in plain.get_content()
    assert "&lt;fail&gt; &amp; the primary" in rich.get_content()
    assert "href='https://pixelview.example.com/incidents/42'" in rich.get_content()


def test_email_reuses_a_session_and_replaces_a_dead_or_failed_one(
    mailer_of: Callable[..., EmailNotifier],
) -> None:
    mailbox, port = Mailbox(refused={"nobody@example.com"}), free_port()
    controller = smtp_controller(mailbox, port)
    notifier = mailer_of(port)
    oncall = EmailTarget(address="oncall@example.com")
    for n in range(3):  # a burst: one session
        notifier.send(oncall, PAGE.model_copy(update={"idempotency_key": f"burst-{n}"}))
    assert (notifier.sessions_opened, mailbox.sessions, len(mailbox.delivered)) == (1, 1, 3)

    with pytest.raises(InvalidRequest, match="550"):  # a failed send closes its session
        notifier.send(EmailTarget(address="nobody@example.com"), PAGE)
    notifier.send(oncall, PAGE)
    assert notifier.sessions_opened == 2

    controller.stop()  # the server goes away with every client; the idle session is dead
    controller = smtp_controller(mailbox, port)
    try:
        notifier.send(oncall, PAGE)
        assert (notifier.sessions_opened, len(mailbox.delivered)) == (3, 5)
        notifier.close()
        notifier.send(oncall, PAGE)  # after close, a send opens a session again
        assert notifier.sessions_opened == 4
    finally:
        controller.stop()


def test_email_refused_recipient_is_invalid(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    with pytest.raises(InvalidRequest, match=r"nobody@example\.com.*550 5\.1\.1"):
        mailer(port).send(EmailTarget(address="nobody@example.com"), PAGE)
    assert mailbox.delivered == []


def test_email_refused_login_is_forbidden(smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    notifier = mailer(port, username="pixelview", password="wrong")
    with pytest.raises(Forbidden, match="SMTP login refused: 535"):
        notifier.send(EmailTarget(address="oncall@example.com"), PAGE)


def test_email_closed_port_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="unreachable"):
        mailer(free_port()).send(EmailTarget(address="oncall@example.com"), PAGE)


def test_email_silent_server_times_out_as_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        notifier = mailer(silent.getsockname()[1], timeout_s=0.3)
        with pytest.raises(Unavailable, match="unreachable"):
            notifier.send(EmailTarget(address="oncall@example.com"), PAGE)


# -------------------------------------------------------------------------------------- SMS


def twilio_api(request: Recorded) -> Reply:
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    if request.headers.get("authorization") != "Basic " + base64.b64encode(b"AC123:tok").decode():
        return Reply.json({"code": 20003, "message": "Authenticate", "status": 401}, 401)
    to = request.form()["To"]
    if to == "+15550000400":
        body = {
            "code": 21211,
            "message": f"The 'To' number {to} is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }
        return Reply.json(body, 400)
    if to == "+15550000500":
        return Reply(500, b"oops")
    return Reply.json({"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}, 201)


@pytest.fixture
def twilio() -> Iterator[FakeHttpServer]:
    with FakeHttpServer(twilio_api) as server:
        yield server


def test_sms_posts_the_form_with_basic_auth(twilio: FakeHttpServer) -> None:
    notifier = SmsNotifier("AC123", "tok", "+15557654321", base_url=twilio.url)
    long_page = PAGE.model_copy(update={"summary": "word " * 1000})
    receipt = notifier.send(SmsTarget(number="+15551234567"), long_page)

    assert receipt.provider_id == "SM0123456789abcdef0123456789abcdef"
    form = twilio.requests[0].form()
    assert form["To"] == "+15551234567"
    assert form["From"] == "+15557654321"
    assert form["Body"].startswith("Triggered: [CRITICAL] #42 Disk full on db-1 (triggered)\n")
    assert len(form["Body"]) == 1600
    assert form["Body"].endswith("…\nhttps://pixelview.example.com/incidents/42")


@pytest.mark.parametrize(
    ("number", "token", "error", "pattern"),
    [
        ("+15550000400", "tok", InvalidRequest, r"21211: The 'To' number \+15550000400 is not a"),
        ("+15550000500", "tok", Unavailable, "HTTP 500"),
        ("+15551234567", "wrong", Forbidden, "20003: Authenticate"),
    ],
)
def test_sms_errors_are_mapped(
    twilio: FakeHttpServer, number: str, token: str, error: type[PixelViewError], pattern: str
) -> None:
    notifier = SmsNotifier("AC123", token, "+15557654321", base_url=twilio.url)
    with pytest.raises(error, match=pattern) as raised:
        notifier.send(SmsTarget(number=number), PAGE)
    assert f"sms delivery to {number} failed" in raised.value.message


# -------------------------------------------------------------------------------- PagerDuty


def pagerduty_api(request: Recorded) -> Reply:
    assert request.path == "/v2/enqueue"
    event = request.json()
    if event["routing_key"] == "R" * 31:
        errors = ["Length of 'routing_key' is incorrect (should be 32 characters)"]
        body = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
        return Reply.json(body, 400)
    if event["routing_key"] == "T" * 32:
        return Reply.json({"status": "throttle event", "message": "Requests for this service"}, 429)
    body = {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}
    return Reply.json(body, 202)


def test_pagerduty_trigger_acknowledge_resolve_share_one_dedup_key() -> None:
    target = PagerDutyTarget(routing_key="K" * 32)
    with FakeHttpServer(pagerduty_api) as server:
        notifier = PagerDutyNotifier(base_url=server.url)
        receipts = [
            notifier.send(target, PAGE.model_copy(update={"event": event}))
            for event in ("trigger", "acknowledge", "resolve")
        ]
    assert {r.provider_id for r in receipts} == {"pixelview-42"}
    assert receipts[0].target == "routing key ...KKKK"
    trigger, ack, resolve = (r.json() for r in server.requests)
    assert trigger == {
        "routing_key": "K" * 32,
        "event_action": "trigger",
        "dedup_key": "pixelview-42",
        "payload": {
            "summary": "Triggered: [CRITICAL] #42 Disk full on db-1",
            "source": "pixelview",
            "severity": "critical",
            "custom_details": {
                "cluster": "prod-eu",
                "incident_id": 42,
                "status": "triggered",
                "summary": PAGE.summary,
            },
        },
        "client": "PixelView",
        "client_url": PAGE.url,
        "links": [{"href": PAGE.url, "text": "Incident #42"}],
    }
    assert ack == {
        "routing_key": "K" * 32,
        "event_action": "acknowledge",
        "dedup_key": "pixelview-42",
    }
    assert resolve == {
        "routing_key": "K" * 32,
        "event_action": "resolve",
        "dedup_key": "pixelview-42",
    }


def test_pagerduty_errors_are_mapped() -> None:
    with FakeHttpServer(pagerduty_api) as server:
        notifier = PagerDutyNotifier(base_url=server.url)
        with pytest.raises(
            InvalidRequest, match="Event object is invalid: Length of 'routing_key'"
        ):
            notifier.send(PagerDutyTarget(routing_key="R" * 31), PAGE)
        with pytest.raises(RateLimited, match="HTTP 429") as limited:
            notifier.send(PagerDutyTarget(routing_key="T" * 32), PAGE)
        assert limited.value.retry_after_s is None
        server.reply_with(Reply(502, b"bad gateway"))
        with pytest.raises(Unavailable, match="HTTP 502"):
            notifier.send(PagerDutyTarget(routing_key="K" * 32), PAGE)
        with pytest.raises(InvalidRequest, match="no event for 'summary'"):
            notifier.send(
                PagerDutyTarget(routing_key="K" * 32), PAGE.model_copy(update={"event": "summary"})
            )
        assert len(server.requests) == 3  # the summary never left


# ---------------------------------------------------------------------------------- webhook


def test_webhook_posts_signed_json() -> None:
    with FakeHttpServer(lambda _request: Reply(204)) as server:
        target = WebhookTarget(url=f"{server.url}/hooks/pixelview", secret="s3cret")
        receipt = WebhookNotifier(timeout_s=5, clock=ManualClock(T0)).send(target, PAGE)

    assert receipt.provider_id == "delivery-42-1"
    (request,) = server.requests
    assert request.method == "POST" and request.path == "/hooks/pixelview"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-pixelview-delivery"] == "delivery-42-1"
    timestamp = request.headers["x-pixelview-timestamp"]
    assert timestamp == str(int(T0.timestamp()))
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert hmac.compare_digest(
        request.headers["x-pixelview-signature"], "sha256=" + expected.hexdigest()
    )
    assert request.json() == PAGE.model_dump(mode="json")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(410, b"gone"), InvalidRequest),
        (Reply(401), Forbidden),
        (Reply(503, b"try later"), Unavailable),
        (Reply(408), Unavailable),
    ],
)
def test_webhook_errors_are_mapped(reply: Reply, error: type[PixelViewError]) -> None:
    with FakeHttpServer(lambda _request: reply) as server:
        target = WebhookTarget(url=f"{server.url}/hooks/secret-path", secret="s3cret")
        with pytest.raises(error, match=f"HTTP {reply.status}") as raised:
            WebhookNotifier(timeout_s=5).send(target, PAGE)
    assert not isinstance(raised.value, RateLimited)
    assert "secret-path" not in raised.value.message


def test_webhook_rate_limit_and_refused_connection() -> None:
    limited = Reply(429, headers={"Retry-After": "30"})
    with FakeHttpServer(lambda _request: limited) as server:
        target = WebhookTarget(url=f"{server.url}/hook", secret="s3cret")
        with pytest.raises(RateLimited) as raised:
            WebhookNotifier(timeout_s=5).send(target, PAGE)
    assert raised.value.retry_after_s == 30
    closed = WebhookTarget(url=f"{closed_port_url()}/hook", secret="s3cret")
    with pytest.raises(Unavailable, match="cannot reach the endpoint"):
        WebhookNotifier(timeout_s=5).send(closed, PAGE)


# ------------------------------------------------------------------------ connection reuse


def _http_notifier(kind: str, url: str) -> tuple[Notifier[Any], Target]:
    """A notifier of an HTTP channel pointed at `url`, and a target of its kind."""
    if kind == "webhook":
        return WebhookNotifier(timeout_s=5), WebhookTarget(url=f"{url}/hook", secret="s3cret")
    if kind == "pagerduty":
        return PagerDutyNotifier(base_url=url, timeout_s=5), PagerDutyTarget(routing_key="R0UT1NG")
    return SmsNotifier("AC1", "tok", "+15557654321", base_url=url), SmsTarget(number="+15550001")


@pytest.mark.parametrize("kind", ["webhook", "pagerduty", "sms"])
def test_http_notifiers_keep_one_connection_alive_until_closed(kind: str) -> None:
    reply = Reply.json({"status": "success", "dedup_key": "pixelview-42", "sid": "SM1"}, 202)
    with FakeHttpServer(lambda _request: reply, keep_alive=True) as server:
        notifier, target = _http_notifier(kind, server.url)
        for _ in range(3):
            notifier.send(target, PAGE)
        notifier.close()
        with pytest.raises(RuntimeError, match="closed"):
            notifier.send(target, PAGE)
    assert len(server.requests) == 3
    assert len({r.client_port for r in server.requests}) == 1  # one TCP connection, reused
