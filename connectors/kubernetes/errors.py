"""One mapping from an API server's answer to the project's errors, for every target."""

from __future__ import annotations

import json

from core.errors import Forbidden, InvalidRequest, NotFound, PixelViewError, Unavailable


def status_message(body: str | bytes | None, fallback: str) -> str:
    """The `message` of a `Status` body; `fallback` when the body is not one."""
    if not body:
        return fallback
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return text.strip()[:500] or fallback
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) and message else fallback


def error_for_status(status: int, message: str, *, cluster: str) -> PixelViewError:
    """The error for an API server's failure status, with the server's message.

    404 is `NotFound`; 401 and 403 are `Forbidden`; 400, 405, 409, 415 and 422 are
    `InvalidRequest`; anything else (0 for no answer, 429, 5xx) is `Unavailable`.
    """
    text = f"kubernetes {cluster}: {message}"
    if status == 404:
        return NotFound(text)
    if status in (401, 403):
        return Forbidden(text)
    if status in (400, 405, 409, 415, 422):
        return InvalidRequest(text)
    return Unavailable(text)
