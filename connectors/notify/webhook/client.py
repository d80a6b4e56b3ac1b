"""Webhooks: the message as signed JSON, POSTed to the target's URL.

The request:

    POST <target.url>
    Content-Type: application/json
    X-PixelView-Delivery: <message.idempotency_key>   (same on every retry: deduplicate by it)
    X-PixelView-Timestamp: <unix seconds, an integer in ASCII>
    X-PixelView-Signature: sha256=<hex>

    <body: the Message as compact JSON, UTF-8>

where `<hex>` is the lower-case hex digest of HMAC-SHA256, keyed with the target's secret
(UTF-8), over the bytes of `"<timestamp>." + <raw body>`: the timestamp in decimal, one ASCII
dot, then the body exactly as received. A receiver recomputes it over the raw body (before any
JSON parsing), compares in constant time, and rejects timestamps more than a few minutes from
its own clock, so that a captured request cannot be replayed later.

Responses: any 2xx is success; 401 and 403 are `Forbidden` (the receiver rejected the secret);
other 3xx and 4xx, except 408 and 429, are `InvalidRequest` (redirects are not followed); 429 is
`RateLimited`; 408, 5xx, timeouts and network errors are `Unavailable`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Final

import httpx2

from connectors.notify.errors import error_for_status, failure
from connectors.notify.models import Message, Receipt, WebhookTarget
from core.clock import Clock, SystemClock
from core.errors import InvalidRequest, Unavailable

CHANNEL: Final = "webhook"
SIGNATURE_HEADER = "X-PixelView-Signature"
TIMESTAMP_HEADER = "X-PixelView-Timestamp"
DELIVERY_HEADER = "X-PixelView-Delivery"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-PixelView-Signature` value for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def body_of(message: Message) -> bytes:
    """The request body: the message as compact JSON."""
    return json.dumps(
        message.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False
    ).encode()


class WebhookNotifier:
    """POSTs incident messages as signed JSON to HTTP endpoints."""

    def __init__(self, timeout_s: float = 10.0, *, clock: Clock | None = None) -> None:
        """Set the request timeout; `clock` gives the signed timestamp (the system's by default)."""
        # One client for every send and thread: its pool keeps connections alive, so a page
        # to a receiver already posted to costs no TCP or TLS handshake (and no ~100 ms of
        # CA bundle loading, as a client per send did).
        self._client = httpx2.Client(
            verify=httpx2.create_ssl_context(), timeout=timeout_s, follow_redirects=False
        )
        self._clock = clock or SystemClock()

    def send(self, target: WebhookTarget, message: Message) -> Receipt:
        """POST `message` to `target`; the receipt's provider id is the delivery id."""
        body = body_of(message)
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "PixelView-Webhook/1",
            DELIVERY_HEADER: message.idempotency_key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(target.secret, timestamp, body),
        }
        try:
            response = self._client.post(target.url, content=body, headers=headers)
        except (httpx2.InvalidURL, httpx2.UnsupportedProtocol) as e:
            detail = f"the URL cannot be requested: {e}"
            raise InvalidRequest(failure(CHANNEL, target.label(), detail)) from e
        except httpx2.TransportError as e:
            detail = f"cannot reach the endpoint: {e!r}"
            raise Unavailable(failure(CHANNEL, target.label(), detail)) from e
        if not response.is_success:
            raise error_for_status(
                response.status_code,
                channel=CHANNEL,
                target=target.label(),
                detail=_detail(response),
                retry_after=response.headers.get("Retry-After"),
            )
        return Receipt(channel=CHANNEL, target=target.label(), provider_id=message.idempotency_key)

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._client.close()


def _detail(response: httpx2.Response) -> str:
    """The reason phrase and the start of the receiver's answer, on one line."""
    snippet = " ".join(response.text[:200].split())
    return f"{response.reason_phrase}: {snippet}" if snippet else response.reason_phrase
