"""E-mail throughput: a burst of pages over reused SMTP sessions, against a session per message.

A local aiosmtpd server (loopback, AUTH LOGIN accepted, no TLS) receives `--messages` pages
sent by `--threads` threads at once (the default `notify.send_concurrency`), first with a new
`EmailNotifier` per message (one connect, EHLO, AUTH and QUIT each: how PixelView sent before
sessions were reused), then through one shared notifier (sessions reused). Prints messages per
second, the sessions the server saw, and the ratio. Loopback has no network delay and no TLS
handshake, so on a real relay the saving per message is larger than here.

    .venv/bin/python -m bench.email [--messages 400] [--threads 8]
"""

from __future__ import annotations

import argparse
import logging
import platform
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from connectors.notify.email.client import EmailNotifier
from connectors.notify.models import EmailTarget, Message


class Counting:
    """Accepts every message; counts sessions (EHLOs) and messages."""

    def __init__(self) -> None:
        self.sessions = 0
        self.messages = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, _server: SMTP, session: Session, _envelope: Envelope, name: str, lines: list[str]
    ) -> list[str]:
        with self._lock:
            self.sessions += 1
        session.host_name = name
        return lines

    async def handle_DATA(self, _server: SMTP, _session: Session, _envelope: Envelope) -> str:
        with self._lock:
            self.messages += 1
        return "250 2.0.0 Ok: queued"


def accept_login(*_args: Any) -> AuthResult:
    return AuthResult(success=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def page(n: int) -> Message:
    return Message(
        incident_id=n,
        title=f"Disk full on db-{n}",
        severity="critical",
        status="triggered",
        summary="/var/lib/postgresql is 100% full; the primary is read-only.",
        url=f"https://pixelview.example.com/incidents/{n}",
        event="trigger",
        idempotency_key=f"bench-{n}",
    )


def notifier(port: int) -> EmailNotifier:
    return EmailNotifier(
        "127.0.0.1",
        port,
        username="pixelview",
        password="secret",
        starttls=False,
        sender="PixelView <pixelview@example.com>",
    )


def burst(port: int, messages: int, threads: int, *, reuse: bool) -> float:
    """Send `messages` pages from `threads` threads; messages per second."""
    shared = notifier(port)
    target = EmailTarget(address="oncall@example.com")

    def send(n: int) -> None:
        if reuse:
            shared.send(target, page(n))
            return
        own = notifier(port)
        own.send(target, page(n))
        own.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(messages)))
    elapsed = time.perf_counter() - started
    shared.close()
    return messages / elapsed


def main() -> None:
    """Run both modes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's deprecation notices
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"Python {platform.python_version()}, {args.messages} messages, {args.threads} threads"
    )
    rates = {}
    for reuse in (False, True):
        counting, port = Counting(), free_port()
        server = Controller(
            counting,
            hostname="127.0.0.1",
            port=port,
            authenticator=accept_login,
            auth_require_tls=False,
        )
        server.start()
        try:
            rates[reuse] = burst(port, args.messages, args.threads, reuse=reuse)
        finally:
            server.stop()
        label = "reused sessions   " if reuse else "session per message"
        print(
            f"{label}: {rates[reuse]:7.0f} messages/s, {counting.sessions} sessions, "
            f"{counting.messages} delivered"
        )
    print(f"ratio reused / per message: {rates[True] / rates[False]:.2f}")


if __name__ == "__main__":
    main()
