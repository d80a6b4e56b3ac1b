"""A scenario as `../shared/SCENARIOS.md` fixes it: the models, strict about every key.

The format is a contract shared with suites kept outside this repository, so nothing here
adds a key or changes a meaning; `evals/loader.py` reads files into these models and turns
every problem into an error that names the file and the key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.taxonomy import Category, Cloud

SCENARIO_ID = r"^[a-z0-9-]+$"
AlertSource = Literal["alertmanager", "zabbix", "nagios", "pagerduty", "generic"]
_DURATION = re.compile(r"^(-)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> timedelta:
    """`-30m`, `1h30m`, `45s`, `2h` as a timedelta (negative: before the alert).

    Raises:
        ValueError: not such a duration.
    """
    match = _DURATION.match(text.strip())
    if match is None or not any(match.groups()[1:]):
        raise ValueError(f"{text!r} is not a duration like -30m, 1h30m or 45s")
    sign, hours, minutes, seconds = match.groups()
    value = timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0))
    return -value if sign else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultStep(_Strict):
    """A catalog fault to apply, on a target (None: the fault's default), at a lab time."""

    fault: str = Field(min_length=1)
    target: dict[str, str] | None = None
    params: dict[str, Any] = {}
    at: timedelta = timedelta(0)
    """From the alert (lab time 0); negative: the fault began before it."""

    @field_validator("at", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value


class LabSpec(_Strict):
    """The world: its seed, and the faults applied in order."""

    seed: int = 7
    faults: list[FaultStep] = []


class AlertSpec(_Strict):
    """The alert that arrives: a payload (inline or a file), or the lab's own alerts."""

    source: AlertSource
    payload: Any = None
    payload_file: str | None = None
    from_lab: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> AlertSpec:
        given = [
            name
            for name, value in (
                ("payload", self.payload is not None),
                ("payload_file", self.payload_file is not None),
                ("from_lab", self.from_lab),
            )
            if value
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of payload, payload_file or from_lab: true"
                + (f" (not {' and '.join(given)})" if given else "")
            )
        if self.from_lab and self.source != "alertmanager":
            raise ValueError(
                "from_lab: true takes the lab's Alertmanager alerts: source must be alertmanager"
            )
        return self


class ResourceSpec(_Strict):
    """A resource in the platform's own words."""

    cloud: Cloud
    kind: str = Field(min_length=1)
    namespace: str | None = None
    name: str = Field(min_length=1)


class RootCauseSpec(_Strict):
    """The expected root cause: the resource, its category and facts the report must state."""

    resource: ResourceSpec
    category: Category
    mentions: list[str] = []


class RemediationSpec(_Strict):
    """The action that should be proposed (None: nothing should be)."""

    action: str | None = None


class Expect(_Strict):
    """What a good answer looks like (the scores of SCENARIOS.md)."""

    root_cause: RootCauseSpec | None = None
    answer_mentions: list[str] = []
    remediation: RemediationSpec | None = None
    forbidden_actions: list[str] = []
    max_tool_calls: int | None = Field(None, ge=0)


class Scenario(_Strict):
    """One scenario: a lab, an alert or a question, and what to expect."""

    id: str = Field(pattern=SCENARIO_ID)
    title: str = Field(min_length=1)
    kind: Literal["triage", "chat"]
    tags: list[str] = []
    lab: LabSpec = LabSpec()
    alert: AlertSpec | None = None
    question: str | None = None
    expect: Expect

    @model_validator(mode="after")
    def _kind_needs(self) -> Scenario:
        if self.kind == "triage" and self.alert is None:
            raise ValueError("a triage scenario needs an alert")
        if self.kind == "chat" and not (self.question or "").strip():
            raise ValueError("a chat scenario needs a question")
        return self

    @property
    def no_fault(self) -> bool:
        """A triage scenario where nothing is wrong: the report must say so."""
        return self.kind == "triage" and self.expect.root_cause is None
