"""An on-call schedule as data: layers of rotations, restrictions, overrides and time off.

Every instant is stored in UTC: aware datetimes that share one `tzinfo` compare by
wall clock in Python, which is wrong across a DST fold, so nothing local is kept.
Wall-clock values (`handoff_time`, restriction times) are naive `time`s read in the
schedule's timezone.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, time
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

TurnKind = Literal["hourly", "daily", "weekly", "custom"]
ShiftSource = Literal["override", "layer"]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError(
            f"{value.isoformat()} carries a timezone; give a local wall-clock time "
            "(the schedule's timezone applies)"
        )
    return value


def _optional_wall_clock(value: time | None) -> time | None:
    return None if value is None else _wall_clock(value)


class Weekday(enum.IntEnum):
    """Day of the week, numbered as `datetime.weekday()` does (Monday is 0)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


class TurnLength(BaseModel):
    """How long one participant's turn lasts.

    Daily and weekly turns count local calendar days, so they hand off at the same wall-clock
    time across DST changes; hourly and custom turns are elapsed time.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TurnKind
    count: int = Field(1, ge=1)
    """Hours, days or weeks per turn (every 2 days: kind="daily", count=2)."""
    seconds: int | None = Field(None, ge=60)
    """Length of a custom turn in elapsed seconds, at least a minute; custom turns only."""

    @model_validator(mode="after")
    def _seconds_only_for_custom(self) -> Self:
        if self.kind == "custom":
            if self.seconds is None:
                raise ValueError("a custom turn needs `seconds`, its length in elapsed seconds")
            if self.count != 1:
                raise ValueError("a custom turn's length is `seconds`; leave `count` at 1")
        elif self.seconds is not None:
            raise ValueError(f"`seconds` is for custom turns only; a {self.kind} turn uses `count`")
        return self


class DailyRestriction(BaseModel):
    """Cover only from `start` to `end` local time each day; `end` before `start` wraps midnight."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["daily"] = "daily"
    start: time
    end: time
    """Exclusive."""

    _naive = field_validator("start", "end")(_wall_clock)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(
                f"a daily restriction from {self.start.isoformat()} to {self.end.isoformat()} "
                "is ambiguous (empty or all day); leave the layer unrestricted to cover all day"
            )
        return self


class WeeklyRestriction(BaseModel):
    """Cover only from `start_day` `start` to `end_day` `end` local time; may wrap the week."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["weekly"] = "weekly"
    start_day: Weekday
    start: time
    end_day: Weekday
    end: time
    """Exclusive."""

    _naive = field_validator("start", "end")(_wall_clock)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if (self.start_day, self.start) == (self.end_day, self.end):
            raise ValueError(
                f"a weekly restriction that starts and ends on {self.start_day.name} "
                f"{self.start.isoformat()} is ambiguous (empty or all week); leave the layer "
                "unrestricted to cover the whole week"
            )
        return self


Restriction = Annotated[DailyRestriction | WeeklyRestriction, Field(discriminator="kind")]


class Layer(BaseModel):
    """One rotation of participants taking turns; a later layer overrides earlier ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    participants: list[str]
    """User ids in turn order; a user may appear more than once to take several turns."""
    start: AwareDatetime
    """First handoff: participant 0's turn begins here; the layer covers nothing before it."""
    turn: TurnLength
    handoff_time: time | None = None
    """Local time of the daily/weekly handoffs; defaults to the local time of `start`.

    When it differs from `start`'s local time, the first turn runs from `start` to the first
    handoff at this time one turn length later (so it is longer or shorter than the others).
    """
    restrictions: list[Restriction] = Field(default_factory=list)
    """When non-empty, the layer covers only instants inside at least one of them."""

    _utc = field_validator("start")(_to_utc)
    _naive = field_validator("handoff_time")(_optional_wall_clock)

    @field_validator("participants")
    @classmethod
    def _has_participants(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a layer needs at least one participant")
        if any(not user.strip() for user in value):
            raise ValueError("participant ids must not be blank")
        return value

    @model_validator(mode="after")
    def _handoff_time_for_calendar_turns(self) -> Self:
        if self.handoff_time is not None and self.turn.kind not in ("daily", "weekly"):
            raise ValueError(
                f"handoff_time applies to daily and weekly turns only; a {self.turn.kind} turn "
                "hands off every fixed duration after `start`"
            )
        return self


class _Span(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    """Exclusive."""

    _utc = field_validator("start", "end")(_to_utc)

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end <= self.start:
            raise ValueError(
                f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})"
            )
        return self


class Override(_Span):
    """`user` is on call from `start` to `end`, above every layer."""


class Unavailability(_Span):
    """Time off: every layer skips `user` from `start` to `end` and the next participant covers."""


class Schedule(BaseModel):
    """Layers (lowest priority first), overrides and time off, in one IANA timezone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    timezone: str
    """IANA name, e.g. "America/Chicago": handoffs and restrictions are read on its wall clock."""
    layers: list[Layer]
    """Lowest priority first: a later layer wins wherever it has someone on call."""
    overrides: list[Override] = Field(default_factory=list)
    unavailability: list[Unavailability] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _iana_name(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as e:
            raise ValueError(
                f"unknown timezone {value!r}: use an IANA name such as 'America/Chicago' or 'UTC'"
            ) from e
        return value

    @field_validator("layers")
    @classmethod
    def _unique_layer_names(cls, value: list[Layer]) -> list[Layer]:
        names = [layer.name for layer in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"layer names must be unique; repeated: {', '.join(repeated)}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's timezone."""
        return ZoneInfo(self.timezone)


class Shift(BaseModel):
    """A span during which `user` is on call, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str
    start: AwareDatetime
    end: AwareDatetime
    """Exclusive."""
    source: ShiftSource
    layer: str | None = None
    """Name of the layer the shift comes from; None for overrides."""
