"""`AlertIn`: every source's alert, normalized to one shape."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Source(StrEnum):
    """The senders PixelView accepts alerts from."""

    ALERTMANAGER = "alertmanager"
    ZABBIX = "zabbix"
    NAGIOS = "nagios"
    PAGERDUTY = "pagerduty"
    GENERIC = "generic"


class Severity(StrEnum):
    """One severity scale for every source (PagerDuty's four levels)."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for info: lower is more severe."""
        return list(Severity).index(self)


class AlertState(StrEnum):
    """Whether the condition behind the alert still holds."""

    FIRING = "firing"
    RESOLVED = "resolved"


class Link(BaseModel):
    """A link the sender attached (graph, dashboard, runbook)."""

    model_config = ConfigDict(frozen=True)

    href: str
    text: str = ""


class AlertIn(BaseModel):
    """One alert as a source reported it, in PixelView's terms."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Source
    fingerprint: str = Field(min_length=1, max_length=255)
    """Identity of the alert within its integration: same fingerprint, same alert."""
    status: AlertState
    severity: Severity
    summary: str = Field(min_length=1, max_length=1024)
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    """None while the alert is open (Alertmanager's `0001-01-01T00:00:00Z`)."""
    links: list[Link] = Field(default_factory=list)
    group_key: str | None = None
    """The sender's own grouping key, when it has one (Alertmanager's `groupKey`)."""
    acknowledge: bool = False
    """The sender reports that a person acknowledged the problem there
    (Nagios ACKNOWLEDGEMENT, PagerDuty `event_action: acknowledge`)."""
    raw: dict[str, Any] = Field(default_factory=dict)
    """The part of the payload this alert came from, kept verbatim."""
