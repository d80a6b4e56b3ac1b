"""Escalation policies as data: ordered steps, each with optional conditions."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from incidents.alerts.schema import Severity

Urgency = Literal["high", "low"]
HIGH_URGENCY = frozenset({Severity.CRITICAL, Severity.ERROR})


def urgency_of(severity: Severity) -> Urgency:
    """Critical and error incidents are high urgency; warning and info are low."""
    return "high" if severity in HIGH_URGENCY else "low"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeWindow(_Spec):
    """Local days and hours (in a named timezone) when a step applies; may wrap midnight."""

    timezone: str
    days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4, 5, 6])
    """ISO weekdays counted from 0 = Monday."""
    start: time
    end: time

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown timezone {value!r}") from e
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if not value or any(d < 0 or d > 6 for d in value):
            raise ValueError("days are 0 (Monday) to 6 (Sunday), at least one")
        return sorted(set(value))

    def contains(self, instant: datetime) -> bool:
        """Whether the instant falls inside the window (by its local day and time)."""
        local = instant.astimezone(zoneinfo.ZoneInfo(self.timezone))
        clock = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return local.weekday() in self.days
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= clock < self.end
        # Wraps midnight: the part after midnight belongs to the previous day's window.
        if clock >= self.start:
            return local.weekday() in self.days
        return clock < self.end and (local.weekday() - 1) % 7 in self.days


class Condition(_Spec):
    """When a step applies; every given part must hold."""

    severities: list[Severity] = Field(default_factory=list)
    """Only these severities (empty: any)."""
    urgency: Urgency | None = None
    window: TimeWindow | None = None


class _Step(_Spec):
    when: Condition | None = None


class NotifyUsers(_Step):
    """Page these users (through each one's notification rules)."""

    type: Literal["notify_users"] = "notify_users"
    users: list[uuid.UUID] = Field(min_length=1)


class NotifySchedule(_Step):
    """Page whoever is on call on the schedule at the time of the step."""

    type: Literal["notify_schedule"] = "notify_schedule"
    schedule_id: uuid.UUID
    if_nobody: Literal["skip", "fallback"] = "skip"
    """Nobody on call: go on to the next step, or page `fallback_users`. Always on the timeline."""
    fallback_users: list[uuid.UUID] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fallback(self) -> NotifySchedule:
        if self.if_nobody == "fallback" and not self.fallback_users:
            raise ValueError("if_nobody 'fallback' needs fallback_users")
        return self


class NotifyTeam(_Step):
    """Page every member of a team."""

    type: Literal["notify_team"] = "notify_team"
    team_id: uuid.UUID


class RoundRobin(_Step):
    """Page the next user in turn; the turn is remembered across incidents."""

    type: Literal["round_robin"] = "round_robin"
    users: list[uuid.UUID] = Field(min_length=1)


class NotifyChannel(_Step):
    """Post to a notification channel (a Slack channel, a webhook, PagerDuty)."""

    type: Literal["notify_channel"] = "notify_channel"
    channel_id: uuid.UUID


class Wait(_Step):
    """Wait before the next step (unless acknowledged or resolved meanwhile)."""

    type: Literal["wait"] = "wait"
    minutes: int = Field(ge=1, le=24 * 60)


class Repeat(_Step):
    """Go back to the first step, at most `times` times."""

    type: Literal["repeat"] = "repeat"
    times: int = Field(ge=1, le=9)


class AutoResolve(_Step):
    """Resolve the incident (for noise that nobody needs to act on)."""

    type: Literal["auto_resolve"] = "auto_resolve"


Step = Annotated[
    NotifyUsers
    | NotifySchedule
    | NotifyTeam
    | RoundRobin
    | NotifyChannel
    | Wait
    | Repeat
    | AutoResolve,
    Field(discriminator="type"),
]
NOTIFYING = (NotifyUsers, NotifySchedule, NotifyTeam, RoundRobin, NotifyChannel)


class PolicySpec(_Spec):
    """An escalation policy: what is snapshotted into each incident it pages for."""

    name: str = Field(min_length=1, max_length=200)
    steps: list[Step] = Field(min_length=1, max_length=50)
    ack_timeout_minutes: int | None = Field(None, ge=1, le=24 * 60)
    """An acknowledgement not followed by resolution within this time reverts to triggered."""
    escalate_low_urgency: bool = False
    """Low-urgency incidents get the first notifying step only, unless this is set."""

    @model_validator(mode="after")
    def _sane_loops(self) -> PolicySpec:
        for index, step in enumerate(self.steps):
            if isinstance(step, Repeat):
                if not any(isinstance(s, Wait) for s in self.steps[:index]):
                    raise ValueError(f"steps[{index}]: a repeat needs a wait step before it")
        return self
