"""Silence matching: pure functions over an alert's labels."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

MatchOp = Literal["=", "!=", "=~", "!~"]


class Matcher(BaseModel):
    """One label condition, as in Alertmanager: `=`, `!=`, regex `=~`, `!~` (fully anchored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    op: MatchOp = "="
    value: str

    @field_validator("value")
    @classmethod
    def _regex_compiles(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("op") in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as e:
                raise ValueError(f"invalid regular expression {value!r}: {e}") from e
        return value

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether the labels satisfy this condition (a missing label is the empty string)."""
        actual = labels.get(self.label, "")
        match self.op:
            case "=":
                return actual == self.value
            case "!=":
                return actual != self.value
            case "=~":
                return re.fullmatch(self.value, actual) is not None
            case "!~":
                return re.fullmatch(self.value, actual) is None


def silences_alert(
    matchers: list[Matcher],
    window: tuple[datetime, datetime],
    labels: dict[str, str],
    now: datetime,
) -> bool:
    """True when `now` is in the window [start, end) and every matcher holds (none: all alerts)."""
    starts_at, ends_at = window
    return starts_at <= now < ends_at and all(m.matches(labels) for m in matchers)
