"""Alertmanager's webhook (`version: "4"`): one `AlertIn` per element of `alerts`.

Each alert carries its own `status`: a group notification can mix firing and
resolved alerts, so the group's `status` is only a fallback for an alert that
has none. A body with `truncatedAlerts > 0` (the receiver's `max_alerts`) is
accepted: the alerts present are normalized, the rest arrive in later notifications.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.labels import labels_fingerprint
from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertIn, AlertState, Link, Severity, Source
from incidents.alerts.sources.common import (
    bounded_fingerprint,
    build_alert,
    is_go_zero,
    json_type,
    parse_rfc3339,
    payload_error,
    require_object,
    string_map,
    truncate_summary,
)

SEVERITIES: dict[str, Severity] = {
    **dict.fromkeys(("critical", "page", "fatal", "emergency"), Severity.CRITICAL),
    **dict.fromkeys(("error", "major", "high", "err"), Severity.ERROR),
    **dict.fromkeys(("warning", "warn", "minor", "medium", "average"), Severity.WARNING),
    **dict.fromkeys(("info", "informational", "low", "none", "notice", "ok"), Severity.INFO),
}
"""`labels.severity` (lower-cased) to our scale; missing or unknown is a warning."""

FALLBACK_SUMMARY = "Alertmanager alert"


def normalize_alertmanager(body: Any) -> list[AlertIn]:
    """Normalize an Alertmanager webhook body.

    Args:
        body: The decoded JSON body.

    Returns:
        One alert per element of `alerts`, in order.

    Raises:
        PayloadError: The body is not a webhook notification, or an alert in it is
            malformed; every problem is listed with its field path.
    """
    payload = require_object(body)
    elements = payload.get("alerts")
    if not isinstance(elements, list):
        raise PayloadError([f"alerts: must be an array of alerts, not {json_type(elements)}"])
    if not elements:
        raise PayloadError(["alerts: must not be empty"])
    group_key = payload.get("groupKey")
    if group_key is not None and not isinstance(group_key, str):
        raise PayloadError([f"groupKey: must be a string, not {json_type(group_key)}"])

    problems: list[str] = []
    alerts: list[AlertIn] = []
    for index, element in enumerate(elements):
        where = f"alerts[{index}]"
        if not isinstance(element, dict):
            problems.append(f"{where}: must be an object, not {json_type(element)}")
            continue
        alert = _alert(element, where, payload.get("status"), group_key or None, problems)
        if alert is not None:
            alerts.append(alert)
    if problems:
        raise payload_error(problems)
    return alerts


def _alert(
    element: dict[str, Any],
    where: str,
    group_status: object,
    group_key: str | None,
    problems: list[str],
) -> AlertIn | None:
    found = len(problems)
    labels = string_map(element.get("labels"))
    if labels is None:
        problems.append(f"{where}.labels: must be an object of strings")
    annotations = string_map(element.get("annotations") or {})
    if annotations is None:
        problems.append(f"{where}.annotations: must be an object of strings")
    status = _status(element.get("status", group_status), where, problems)
    starts_at = _time(element, "startsAt", where, problems)
    ends_at = _time(element, "endsAt", where, problems)
    sender_fingerprint = _optional_text(element, "fingerprint", where, problems)
    generator_url = _optional_text(element, "generatorURL", where, problems)
    if len(problems) > found or labels is None or annotations is None or status is None:
        return None

    summary, description = _summary_and_description(labels, annotations)
    fingerprint = sender_fingerprint.strip() or labels_fingerprint(labels)
    severity = SEVERITIES.get(labels.get("severity", "").strip().lower(), Severity.WARNING)
    return build_alert(
        lambda: AlertIn(
            source=Source.ALERTMANAGER,
            fingerprint=bounded_fingerprint(fingerprint),
            status=status,
            severity=severity,
            summary=truncate_summary(summary),
            description=description,
            labels=labels,
            annotations=annotations,
            starts_at=starts_at,
            # An alert still firing is open, whatever end Alertmanager expects for it.
            ends_at=ends_at if status is AlertState.RESOLVED else None,
            links=[Link(href=generator_url, text="generator")] if generator_url.strip() else [],
            group_key=group_key,
            raw=element,
        ),
        where,
    )


def _status(value: object, where: str, problems: list[str]) -> AlertState | None:
    if value in (AlertState.FIRING.value, AlertState.RESOLVED.value):
        return AlertState(value)
    problems.append(f"{where}.status: must be 'firing' or 'resolved'")
    return None


def _time(element: dict[str, Any], key: str, where: str, problems: list[str]) -> datetime | None:
    value = element.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        problems.append(f"{where}.{key}: must be an RFC 3339 date-time string")
        return None
    try:
        moment = parse_rfc3339(value)
    except ValueError as e:
        problems.append(f"{where}.{key}: {e}")
        return None
    return None if is_go_zero(moment) else moment


def _optional_text(element: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = element.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}.{key}: must be a string, not {json_type(value)}")
        return ""
    return value


def _summary_and_description(
    labels: dict[str, str], annotations: dict[str, str]
) -> tuple[str, str]:
    """Summary from the first non-blank annotation of summary/message/description."""
    description = annotations.get("description", "")
    for key in ("summary", "message"):
        if annotations.get(key, "").strip():
            return annotations[key], description
    if description.strip():
        return description, ""
    alertname = labels.get("alertname", "")
    return (alertname if alertname.strip() else FALLBACK_SUMMARY), ""
