"""The request middleware: request ids, request counts and latencies.

A plain ASGI middleware rather than `@app.middleware("http")`: Starlette's
`BaseHTTPMiddleware` runs each request through extra tasks and memory streams,
which cost about a millisecond per request on the ingestion hot path.
"""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"


class RequestContext:
    """Gives every HTTP request an id (the caller's `X-Request-ID` or a new one) and measures it.

    The id is bound to the log context for the request and echoed in the
    response; the request is counted and timed by method, route template (never
    the raw path: bounded cardinality) and status.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        """Wrap `app`, recording into `metrics`."""
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                await self.app(scope, receive, send_with_id)
        finally:
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            method = scope["method"]
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_latency.labels(method, route).observe(time.perf_counter() - started)
