"""Errors of the notification channels, on top of `core.errors`.

One mapping from an HTTP status to an error serves every HTTP channel, so Twilio, PagerDuty and
webhooks fail the same way for the same reason.
"""

from __future__ import annotations

import math
from typing import Any

import httpx2

from core.errors import Forbidden, InvalidRequest, PixelViewError, Unavailable


class RateLimited(Unavailable):
    """The provider asked us to slow down; retry after `retry_after_s` when it said how long."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        """Seconds the provider asked us to wait; None when it did not say."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` value in its delta-seconds form; None for anything else.

    The HTTP-date form would need a clock to turn into seconds; it yields None, and the caller's
    own backoff applies.
    """
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def failure(channel: str, target: str, detail: str) -> str:
    """The message of a delivery error: channel, target and what went wrong."""
    return f"{channel} delivery to {target} failed: {detail}"


def error_for_status(
    status: int, *, channel: str, target: str, detail: str, retry_after: str | None = None
) -> PixelViewError:
    """The error for an HTTP response that is not a success.

    429 is `RateLimited`; 401 and 403 are `Forbidden`; 408 and 5xx are `Unavailable`; any other
    3xx or 4xx is `InvalidRequest` (a redirect is a wrong URL: retrying will not change it).

    Args:
        status: The HTTP status code.
        channel: The channel's name, for the message.
        target: The target's label, for the message.
        detail: What the provider said, for the message.
        retry_after: The response's `Retry-After` header, if any.
    """
    message = failure(channel, target, f"HTTP {status}: {detail}" if detail else f"HTTP {status}")
    if status == 429:
        return RateLimited(message, retry_after_s=parse_retry_after(retry_after))
    if status in (401, 403):
        return Forbidden(message)
    if 300 <= status < 500 and status != 408:
        return InvalidRequest(message)
    return Unavailable(message)


def json_object(response: httpx2.Response) -> dict[str, Any]:
    """The response body as a JSON object; `{}` when it is not one (providers' error pages)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
