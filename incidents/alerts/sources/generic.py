"""PixelView's own alert format, for senders without an integration of their own.

```json
{"alerts": [{"id": "disk-full-db1", "status": "firing", "severity": "critical",
             "summary": "Disk 95% full on db1", "labels": {"host": "db1"}}]}
```

A single alert object may also be posted without the `alerts` wrapper. `id` is the
dedup key (the fingerprint): post the same `id` with `status: resolved` to resolve.
`generic_json_schema()` publishes the format for the docs and OpenAPI.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from incidents.alerts.schema import AlertIn, AlertState, Link, Severity, Source
from incidents.alerts.sources.common import (
    build_alert,
    payload_error,
    require_object,
    truncate_summary,
    validation_messages,
)


class GenericLink(BaseModel):
    """A link to show with the alert (graph, dashboard, runbook)."""

    model_config = ConfigDict(extra="forbid")

    href: str = Field(min_length=1)
    text: str = ""


class GenericAlert(BaseModel):
    """One alert in PixelView's generic format."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255)
    """The dedup key: the same `id` is the same alert (firing, then resolved)."""
    status: AlertState = AlertState.FIRING
    severity: Severity = Severity.WARNING
    summary: str = Field(min_length=1)
    """One line; longer than 1024 characters is cut, not refused."""
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    links: list[GenericLink] = Field(default_factory=list)
    group: str | None = None
    """The sender's grouping key, if it groups alerts itself."""


class GenericPayload(BaseModel):
    """The generic format's body: a batch of alerts."""

    model_config = ConfigDict(extra="forbid")

    alerts: list[GenericAlert] = Field(min_length=1)


def generic_json_schema() -> dict[str, Any]:
    """The JSON Schema of the generic format's body (the `alerts` wrapper)."""
    return GenericPayload.model_json_schema()


def normalize_generic(body: Any) -> list[AlertIn]:
    """Normalize a body in PixelView's generic format.

    Args:
        body: The decoded JSON body: `{"alerts": [...]}` or one alert object.

    Returns:
        One alert per alert in the body, in order.

    Raises:
        PayloadError: The body does not follow the format; each problem names its
            path, such as `alerts[0].id: Field required`.
    """
    payload = require_object(body)
    try:
        if "alerts" in payload:
            batch = GenericPayload.model_validate(payload)
            elements: list[Any] = payload["alerts"]
            pairs = list(zip(batch.alerts, elements, strict=True))
        else:
            pairs = [(GenericAlert.model_validate(payload), payload)]
    except ValidationError as e:
        raise payload_error(validation_messages(e)) from e
    return [_alert(alert, raw, f"alerts[{i}]") for i, (alert, raw) in enumerate(pairs)]


def _alert(alert: GenericAlert, raw: dict[str, Any], where: str) -> AlertIn:
    return build_alert(
        lambda: AlertIn(
            source=Source.GENERIC,
            fingerprint=alert.id,
            status=alert.status,
            severity=alert.severity,
            summary=truncate_summary(alert.summary),
            description=alert.description,
            labels=alert.labels,
            annotations=alert.annotations,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            links=[Link(href=link.href, text=link.text) for link in alert.links],
            group_key=alert.group,
            raw=raw,
        ),
        where,
    )
