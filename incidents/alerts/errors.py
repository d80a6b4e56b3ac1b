"""The error a normalizer raises for a payload it cannot accept."""

from __future__ import annotations

from core.errors import InvalidRequest


class PayloadError(InvalidRequest):
    """The payload is malformed; `errors` lists each problem with its field path."""

    code = "invalid_payload"

    def __init__(self, errors: list[str]) -> None:
        """Keep every problem; the message joins them for people and logs."""
        super().__init__("; ".join(errors) or "invalid payload")
        self.errors = errors
