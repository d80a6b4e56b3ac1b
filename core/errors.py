"""Typed domain errors.

Code below `api/` raises these; the API maps each to one HTTP status in one
place, and the CLI prints their message on one line. The message is written for
the person who has to act on it.
"""

from __future__ import annotations


class PixelViewError(Exception):
    """Base class of every error PixelView raises on purpose."""

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PixelViewError):
    """The named object does not exist (or the caller may not know it does)."""

    code = "not_found"


class Conflict(PixelViewError):
    """The request clashes with the current state (a duplicate, a stale version)."""

    code = "conflict"


class Forbidden(PixelViewError):
    """The caller is known but not allowed to do this."""

    code = "forbidden"


class InvalidRequest(PixelViewError):
    """The request is well-formed but its content cannot be accepted."""

    code = "invalid_request"


class TooLarge(InvalidRequest):
    """The content is bigger than the limit for its kind (the message says both sizes)."""

    code = "too_large"


class Unavailable(PixelViewError):
    """A dependency (database, cloud API, model endpoint) cannot be reached now."""

    code = "unavailable"


class ConfigError(PixelViewError):
    """The configuration is wrong; raised at start-up, naming the key."""

    code = "config_error"
