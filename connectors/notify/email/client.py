"""Email by SMTP with `smtplib`, plain text with an HTML alternative, over reused sessions.

A burst of pages (a batch of deliveries, several threads) would otherwise pay a TCP connect,
STARTTLS and a login per message: a session that sent a message is kept, idle, for
`IDLE_S` and the next send takes it after a `NOOP` shows it alive; a session that failed is
closed. At most `MAX_IDLE` sessions wait; `close()` quits them.

A retried send is recognizable: `Message-ID` is derived from the message's idempotency key
(`<sha256(key)[:32]>.pixelview@<sender domain>`), so every attempt of one delivery carries the
same id, and `X-PixelView-Delivery` carries the key itself. SMTP has no idempotency of its own: a
retry after a lost final reply may deliver twice, and mail clients that collapse duplicates do so
by that Message-ID. `References` names the incident, so a mail client threads its trigger,
acknowledge and resolve messages together.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Final

from connectors.notify.errors import failure
from connectors.notify.models import EmailTarget, Message, Receipt
from core.clock import Clock, SystemClock
from core.errors import ConfigError, Forbidden, InvalidRequest, PixelViewError, Unavailable

CHANNEL: Final = "email"
_AUTH_CODES = frozenset({530, 534, 535, 538})  # authentication required, too weak, failed, TLS
IDLE_S: Final = 30.0
"""An idle session is reused within this long (servers drop idle clients after minutes)."""
MAX_IDLE: Final = 4
"""Idle sessions kept at most (one per sending thread is enough)."""


class EmailNotifier:
    """Sends incident messages by SMTP, with STARTTLS and login when configured."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        sender: str,
        timeout_s: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        """Configure the SMTP relay; `sender` is `addr@domain` or `Name <addr@domain>`."""
        address = parseaddr(sender)[1]
        if "@" not in address:
            raise ConfigError(f"email sender {sender!r} is not an email address")
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._sender = sender
        self._sender_address = address
        self._domain = address.rpartition("@")[2]
        self._timeout_s = timeout_s
        self._clock = clock or SystemClock()
        self._tls = ssl.create_default_context() if starttls else None
        self._idle: list[tuple[smtplib.SMTP, float]] = []
        self._lock = threading.Lock()
        self.sessions_opened = 0
        """SMTP sessions opened so far (each a connect, STARTTLS and login)."""

    def send(self, target: EmailTarget, message: Message) -> Receipt:
        """Send `message` to `target`; the receipt's provider id is the Message-ID."""
        email = self.compose(target, message)
        smtp = self._reused()
        try:
            if smtp is None:
                smtp = self._open()
            smtp.send_message(email, self._sender_address, [target.address])
        except OSError as e:  # smtplib.SMTPException is an OSError too
            if smtp is not None:
                _quit(smtp)
            raise self._error(e, target) from e
        self._keep(smtp)
        return Receipt(channel=CHANNEL, target=target.label(), provider_id=email["Message-ID"])

    def close(self) -> None:
        """Quit the idle sessions."""
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _ in idle:
            _quit(smtp)

    def _open(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        self.sessions_opened += 1
        try:
            if self._tls is not None:
                smtp.starttls(context=self._tls)
            if self._username is not None:
                smtp.login(self._username, self._password or "")
        except OSError:
            _quit(smtp)
            raise
        return smtp

    def _reused(self) -> smtplib.SMTP | None:
        """An idle session that answers `NOOP`, or None; stale ones are closed."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                smtp, since = self._idle.pop()
            if time.monotonic() - since <= IDLE_S:
                try:
                    if smtp.noop()[0] == 250:
                        return smtp
                except OSError:
                    pass
            _quit(smtp)

    def _keep(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append((smtp, time.monotonic()))
                return
        _quit(smtp)

    def compose(self, target: EmailTarget, message: Message) -> EmailMessage:
        """The email for `message`: headers, plain text and an HTML alternative."""
        email = EmailMessage()
        email["Subject"] = message.headline()
        email["From"] = self._sender
        email["To"] = target.address
        email["Date"] = format_datetime(self._clock.now(), usegmt=True)
        email["Message-ID"] = message_id(message.idempotency_key, self._domain)
        email["References"] = f"<incident-{message.incident_id}.pixelview@{self._domain}>"
        email["X-PixelView-Delivery"] = message.idempotency_key
        email["X-PixelView-Incident"] = str(message.incident_id)
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
        email.set_content(plain_text(message), cte="quoted-printable")  # 7-bit safe relays
        email.add_alternative(html_text(message), subtype="html")
        return email

    def _error(self, e: OSError, target: EmailTarget) -> PixelViewError:
        """Map an `smtplib` or socket error to ours."""
        label = target.label()
        if isinstance(e, smtplib.SMTPAuthenticationError):
            reply = _reply(e.smtp_code, e.smtp_error)
            return Forbidden(failure(CHANNEL, label, f"SMTP login refused: {reply}"))
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            code, text = e.recipients.get(target.address, (550, b"refused"))
            return _by_code(code, label, f"recipient refused: {_reply(code, text)}")
        if isinstance(e, smtplib.SMTPNotSupportedError):
            return InvalidRequest(failure(CHANNEL, label, f"SMTP server lacks a feature: {e}"))
        if isinstance(e, smtplib.SMTPResponseException) and not isinstance(
            e, smtplib.SMTPConnectError
        ):
            return _by_code(e.smtp_code, label, _reply(e.smtp_code, e.smtp_error))
        where = f"{self._host}:{self._port}"
        return Unavailable(failure(CHANNEL, label, f"SMTP server {where} unreachable: {e!r}"))


def _quit(smtp: smtplib.SMTP) -> None:
    """End a session, politely when the server still listens."""
    with contextlib.suppress(OSError):
        smtp.quit()
    smtp.close()


def _by_code(code: int, label: str, detail: str) -> PixelViewError:
    """4xx replies are transient, 5xx permanent (authentication codes are `Forbidden`)."""
    message = failure(CHANNEL, label, detail)
    if code in _AUTH_CODES:
        return Forbidden(message)
    return Unavailable(message) if code < 500 else InvalidRequest(message)


def _reply(code: int, text: bytes | str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {decoded}"


def message_id(idempotency_key: str, domain: str) -> str:
    """The Message-ID of every attempt of the delivery with this key."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}.pixelview@{domain}>"


def _details(message: Message) -> list[tuple[str, str]]:
    return [("Severity", message.severity), ("Status", message.status), *message.fields.items()]


def plain_text(message: Message) -> str:
    """The text/plain part."""
    lines = [message.headline(), ""]
    lines += [f"{name}: {value}" for name, value in _details(message)]
    if message.summary.strip():
        lines += ["", message.summary.strip()]
    if message.url:
        lines += ["", f"Open the incident: {message.url}"]
    lines += ["", "-- ", f"PixelView incident #{message.incident_id} ({message.event})"]
    return "\n".join(lines) + "\n"


def html_text(message: Message) -> str:
    """The text/html part: the same content, every value escaped."""
    esc = html.escape
    rows = "".join(
        f"<tr><th align='left'>{esc(name)}</th><td>{esc(value)}</td></tr>"
        for name, value in _details(message)
    )
    parts = [f"<h2>{esc(message.headline())}</h2>", f"<table>{rows}</table>"]
    if message.summary.strip():
        parts.append(f"<p style='white-space: pre-wrap'>{esc(message.summary.strip())}</p>")
    if message.url:
        parts.append(f"<p><a href='{esc(message.url)}'>Open the incident</a></p>")
    footer = f"PixelView incident #{message.incident_id} ({esc(message.event)})"
    parts.append(f"<p style='color: #666'>{footer}</p>")
    return "<html><body>" + "".join(parts) + "</body></html>\n"
