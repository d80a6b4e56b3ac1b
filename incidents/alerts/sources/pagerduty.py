"""PagerDuty Events API v2 (`POST https://events.pagerduty.com/v2/enqueue`).

Validation follows PagerDuty: `routing_key` and `event_action` (`trigger`,
`acknowledge`, `resolve`) are required; `dedup_key` is required to acknowledge or
resolve and generated (a UUID4, returned to the sender) for a trigger without one;
a trigger needs `payload.summary` (cut at 1024 characters), `payload.source` and
`payload.severity` (exactly `critical`, `error`, `warning` or `info`). Errors read
like PagerDuty's own (`'payload.severity' is missing or blank`), one per problem.

The alert keeps the event as `raw`, with `routing_key` redacted: it is the
integration's secret and alerts are shown to people and to models.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incidents.alerts.schema import AlertIn, AlertState, Link, Severity, Source
from incidents.alerts.sources.common import (
    FINGERPRINT_MAX,
    build_alert,
    parse_iso8601,
    payload_error,
    require_object,
    truncate_summary,
)

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = {s.value: s for s in Severity}
"""PagerDuty's severities, case-sensitive: `Info` is refused, as PagerDuty refuses it."""
LABEL_FIELDS = ("source", "component", "group", "class")
REDACTED = "<redacted>"

_DEFAULTS = {
    "acknowledge": ("acknowledged via PagerDuty Events API", Severity.WARNING),
    "resolve": ("resolved via PagerDuty Events API", Severity.INFO),
}
"""Summary and severity of an acknowledge or resolve that brings no usable payload."""


@dataclass
class _Payload:
    """What a `payload` object held that could be used."""

    summary: str = ""
    severity: Severity | None = None
    timestamp: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


def normalize_pagerduty(body: Any) -> list[AlertIn]:
    """Normalize one Events API v2 alert event.

    Args:
        body: The decoded JSON body.

    Returns:
        One alert; its fingerprint is the `dedup_key`, generated for a trigger without one.

    Raises:
        PayloadError: The event is invalid; messages read like PagerDuty's.
    """
    event = require_object(body)
    problems: list[str] = []
    _string(event, "routing_key", problems, required=True)
    action = _string(event, "event_action", problems, required=True)
    if action and action not in ACTIONS:
        problems.append(
            "'event_action' is invalid (must be one of the following:"
            " 'trigger', 'acknowledge' or 'resolve')"
        )
    dedup_key = _dedup_key(event, action, problems)
    # Only a trigger must carry a valid payload; acknowledge and resolve use what is usable.
    payload = _payload(event.get("payload"), problems if action == "trigger" else [])
    links = _links(event, problems)
    if problems:
        raise payload_error(problems)

    summary, severity = _DEFAULTS.get(action, ("", Severity.WARNING))
    raw = {**event, "routing_key": REDACTED} if "routing_key" in event else event
    return [
        build_alert(
            lambda: AlertIn(
                source=Source.PAGERDUTY,
                fingerprint=dedup_key,
                status=AlertState.RESOLVED if action == "resolve" else AlertState.FIRING,
                severity=payload.severity or severity,
                summary=truncate_summary(payload.summary or summary),
                labels=payload.labels,
                annotations=payload.annotations,
                starts_at=payload.timestamp if action == "trigger" else None,
                links=links,
                acknowledge=action == "acknowledge",
                raw=raw,
            )
        )
    ]


def pagerduty_dedup_key(alerts: list[AlertIn]) -> str:
    """The `dedup_key` to echo in the 202 response: the fingerprint of the one alert.

    Raises:
        ValueError: `alerts` is not what `normalize_pagerduty` returns (exactly one alert).
    """
    if len(alerts) != 1:
        raise ValueError(f"a PagerDuty event yields exactly one alert, got {len(alerts)}")
    return alerts[0].fingerprint


def _string(
    holder: dict[str, Any], key: str, problems: list[str], path: str = "", *, required: bool = False
) -> str:
    """The stripped string under `key`; "" (with a problem if wrong or required) otherwise."""
    value = holder.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is not None and not isinstance(value, str):
        problems.append(f"'{path}{key}' is invalid (must be a string)")
    elif required:
        problems.append(f"'{path}{key}' is missing or blank")
    return ""


def _dedup_key(event: dict[str, Any], action: str, problems: list[str]) -> str:
    required = action in ("acknowledge", "resolve")
    dedup_key = _string(event, "dedup_key", problems, required=required)
    if len(dedup_key) > FINGERPRINT_MAX:
        problems.append(f"'dedup_key' is invalid (must be at most {FINGERPRINT_MAX} characters)")
    return dedup_key or uuid.uuid4().hex


def _payload(value: object, problems: list[str]) -> _Payload:
    if value is None:
        problems.append("'payload' is missing or blank")
        return _Payload()
    if not isinstance(value, dict):
        problems.append("'payload' is invalid (must be an object)")
        return _Payload()
    read = _Payload(summary=_string(value, "summary", problems, "payload.", required=True))
    read.severity = _severity(value, problems)
    if value.get("timestamp") not in (None, ""):
        try:
            read.timestamp = parse_iso8601(value["timestamp"])
        except ValueError:
            problems.append("'payload.timestamp' is invalid (must be an ISO 8601 date-time)")
    for key in LABEL_FIELDS:
        if label := _string(value, key, problems, "payload.", required=key == "source"):
            read.labels[key] = label
    if "custom_details" in value:
        read.annotations = _custom_details(value["custom_details"])
    return read


def _severity(payload: dict[str, Any], problems: list[str]) -> Severity | None:
    severity = _string(payload, "severity", problems, "payload.", required=True)
    if severity and severity not in SEVERITIES:
        problems.append(
            "'payload.severity' is invalid (must be one of the following:"
            " 'critical', 'warning', 'error' or 'info')"
        )
    return SEVERITIES.get(severity)


def _custom_details(details: object) -> dict[str, str]:
    """The details as JSON text, plus each top-level string value of an object."""
    annotations: dict[str, str] = {}
    if isinstance(details, dict):
        annotations.update((k, v) for k, v in details.items() if isinstance(v, str))
    annotations["custom_details"] = json.dumps(details, ensure_ascii=False)
    return annotations


def _links(event: dict[str, Any], problems: list[str]) -> list[Link]:
    """`links` as they are, then `images` as links to the image (`alt` as text)."""
    links: list[Link] = []
    for key, href_key, text_key in (("links", "href", "text"), ("images", "src", "alt")):
        items = event.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f"'{key}' is invalid (must be an array)")
            continue
        for index, item in enumerate(items):
            where = f"{key}[{index}]."
            entry = item if isinstance(item, dict) else {}
            href = _string(entry, href_key, problems, where, required=True)
            text = _string(entry, text_key, problems, where)
            if href:
                links.append(Link(href=href, text=text or ("image" if key == "images" else "")))
    return links
