"""A tiny HTTP server on loopback that records requests and answers what a test tells it.

    with FakeHttpServer(lambda request: Reply.json({"ok": True})) as server:
        client = SomeClient(base_url=server.url)
        ...
        assert server.requests[0].json() == {...}

The responder runs in the server's thread; whatever it raises becomes a 500 and is re-raised
by `FakeHttpServer.__exit__`, so a failed assertion inside it fails the test.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it; header names are lower case."""

    method: str
    path: str
    """The path without the query string."""
    query: str
    headers: Mapping[str, str]
    body: bytes
    client_port: int = 0
    """The sender's TCP port: requests over one kept-alive connection share it."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as `application/x-www-form-urlencoded`."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass(frozen=True)
class Reply:
    """What the server answers."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON reply."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return cls(status=status, body=json.dumps(data).encode(), headers=all_headers)


Responder = Callable[[Recorded], Reply]


class FakeHttpServer:
    """A `ThreadingHTTPServer` on 127.0.0.1 with a configurable responder that records requests."""

    def __init__(self, responder: Responder | None = None, *, keep_alive: bool = False) -> None:
        """Answer with `responder`; `keep_alive` speaks HTTP/1.1 and keeps connections open."""
        self.responder: Responder = responder or (lambda _request: Reply())
        self.requests: list[Recorded] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self, keep_alive))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash: `http://127.0.0.1:<port>`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reply_with(self, reply: Reply) -> None:
        """Answer every following request with `reply`."""
        self.responder = lambda _request: reply

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if exc is None and self.errors:
            raise self.errors[0]

    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
        try:
            return self.responder(request)
        except BaseException as e:
            self.errors.append(e)
            return Reply(status=500, body=f"responder failed: {e!r}".encode())


def _handler_for(server: FakeHttpServer, keep_alive: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=parts.query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                client_port=int(self.client_address[1]),
            )
            reply = server._answer(request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    return Handler


def free_port() -> int:
    """A loopback port nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def closed_port_url() -> str:
    """A loopback URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"
