"""Zabbix: a webhook media type that posts its parameters as one JSON object.

PixelView's expected media-type parameters (name: value in Zabbix):

- `event_id`: `{EVENT.ID}` (required). The dedup key: a problem and its recovery
  share it, so the fingerprint is `zabbix:<event_id>`.
- `event_value`: `{EVENT.VALUE}` (required): `1` problem (firing), `0` recovery (resolved).
- `event_nseverity`: `{EVENT.NSEVERITY}`, 0-5: 0 Not classified and 1 Information are
  info, 2 Warning is warning, 3 Average is error, 4 High and 5 Disaster are critical.
  Missing means warning.
- `event_severity`: `{EVENT.SEVERITY}`, the severity's name (kept as an annotation).
- `event_name`: `{EVENT.NAME}`, or `trigger_name`: `{TRIGGER.NAME}`: the summary.
- `host_name`: `{HOST.NAME}`; `host_ip`: `{HOST.IP}`.
- `trigger_id`: `{TRIGGER.ID}`; `trigger_description`: `{TRIGGER.DESCRIPTION}`, else
  `event_opdata`: `{EVENT.OPDATA}`: the description.
- `event_tags`: `{EVENT.TAGSJSON}` (a list of `{"tag", "value"}` objects, or that list
  as JSON text) or `{EVENT.TAGS}` (text `k:v, k2:v2`). Tags become labels.
- `event_date` + `event_time`: `{EVENT.DATE}` + `{EVENT.TIME}` (`2026.11.22`, `10:15:00`);
  `event_recovery_date` + `event_recovery_time`: `{EVENT.RECOVERY.DATE}` +
  `{EVENT.RECOVERY.TIME}`; read in `event_timezone` (UTC, `+02:00` or an IANA name),
  UTC when absent. All optional.
- `zabbix_url`: `{$ZABBIX.URL}`, the frontend's address (optional); the alert links to
  the event there (`tr_events.php`), as Zabbix's own media types do.

Values may be strings or numbers; `*UNKNOWN*` (a macro Zabbix could not resolve) reads
as absent. A value still holding a macro such as `{EVENT.ID}` (what the media type's
Test button sends) is refused with the field's name, with one exception: in a problem's
notification Zabbix leaves `{EVENT.RECOVERY.DATE}` and `{EVENT.RECOVERY.TIME}` as they
are (there is no recovery yet), so those two are then read as absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar
from urllib.parse import urlencode

from incidents.alerts.schema import AlertIn, AlertState, Link, Severity, Source
from incidents.alerts.sources.common import (
    as_text,
    bounded_fingerprint,
    build_alert,
    find_macros,
    in_range,
    json_type,
    non_blank,
    parse_timezone,
    payload_error,
    require_object,
    shown,
    truncate_summary,
)

SEVERITIES: dict[str, Severity] = {
    "0": Severity.INFO,  # Not classified
    "1": Severity.INFO,  # Information
    "2": Severity.WARNING,  # Warning
    "3": Severity.ERROR,  # Average
    "4": Severity.CRITICAL,  # High
    "5": Severity.CRITICAL,  # Disaster
}
"""`{EVENT.NSEVERITY}` to our scale."""

STATES = {"1": AlertState.FIRING, "0": AlertState.RESOLVED}
"""`{EVENT.VALUE}`: 1 is a problem, 0 its recovery."""

_RECOVERY_FIELDS = ("event_recovery_date", "event_recovery_time")
"""Fields Zabbix cannot expand in a problem's notification: they stay `{EVENT.RECOVERY.*}`."""
UNKNOWN = "*UNKNOWN*"
"""What Zabbix writes for a macro it could not resolve; read as absent."""

_LABELS = (("host", "host_name"), ("trigger_id", "trigger_id"))
"""Labels taken from fields; they win over event tags of the same name."""

_TEXT_FIELDS = (
    "event_name",
    "trigger_name",
    "event_severity",
    "host_name",
    "host_ip",
    "trigger_id",
    "trigger_description",
    "event_opdata",
    "event_date",
    "event_time",
    "event_recovery_date",
    "event_recovery_time",
    "event_timezone",
    "zabbix_url",
)

_DATE_FORMAT = "%Y.%m.%d %H:%M:%S"
_T = TypeVar("_T")


def normalize_zabbix(body: Any) -> list[AlertIn]:
    """Normalize a Zabbix webhook body (see the module's parameter list).

    Args:
        body: The decoded JSON body, or form fields decoded to a dict of strings.

    Returns:
        One alert.

    Raises:
        PayloadError: A macro was not expanded, or a field is missing or malformed.
    """
    raw = require_object(body)
    payload = _expanded(raw)
    problems: list[str] = []
    event_id = _required(payload, "event_id", problems)
    status = _choice(payload, "event_value", STATES, "1 (problem) or 0 (recovery)", problems)
    severity = _choice(payload, "event_nseverity", SEVERITIES, "0 to 5", problems, required=False)
    text = {key: _text(payload, key, problems) for key in _TEXT_FIELDS}
    tags = _tags(payload.get("event_tags"), problems)
    zone = _zone(text["event_timezone"], problems)
    starts_at = _moment(text, "event_date", "event_time", zone, problems)
    ends_at = _moment(text, "event_recovery_date", "event_recovery_time", zone, problems)
    if problems or status is None:
        raise payload_error(problems)  # status is None only with a problem recorded

    labels = dict(tags)
    labels.update((key, text[field]) for key, field in _LABELS if text[field])
    annotations = {
        name: text[key]
        for name, key in (
            ("host_ip", "host_ip"),
            ("zabbix_severity", "event_severity"),
            ("operational_data", "event_opdata"),
        )
        if text[key]
    }
    summary = text["event_name"].strip() or text["trigger_name"].strip()
    return [
        build_alert(
            lambda: AlertIn(
                source=Source.ZABBIX,
                fingerprint=bounded_fingerprint(f"zabbix:{event_id}"),
                status=status,
                severity=severity or Severity.WARNING,
                summary=truncate_summary(summary or f"Zabbix event {event_id}"),
                description=text["trigger_description"] or text["event_opdata"],
                labels=labels,
                annotations=annotations,
                starts_at=starts_at,
                ends_at=ends_at if status is AlertState.RESOLVED else None,
                links=_links(text["zabbix_url"], text["trigger_id"], event_id),
                raw=raw,
            )
        )
    ]


def _expanded(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields, refusing any unexpanded macro except the recovery's on a problem."""
    problem = (as_text(raw.get("event_value")) or "").strip() == "1"
    payload = dict(raw)
    macros: list[str] = []
    for path, macro in find_macros(raw):
        if problem and path in _RECOVERY_FIELDS:
            del payload[path]  # no recovery yet: Zabbix leaves these as they are
            continue
        macros.append(
            f"{path}: unexpanded Zabbix macro {macro} (sent by the media type's Test button?)"
        )
    if macros:
        raise payload_error(macros)
    return payload


def _text(payload: dict[str, Any], key: str, problems: list[str]) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    text = as_text(value)
    if text is None:
        problems.append(f"{key}: must be a string or a number, not {json_type(value)}")
        return ""
    return "" if text.strip() == UNKNOWN else text.strip()


def _required(payload: dict[str, Any], key: str, problems: list[str]) -> str:
    text = non_blank(payload.get(key))
    if text is None or text.strip() == UNKNOWN:
        problems.append(f"{key}: required (a string or a number)")
        return ""
    return text.strip()


def _choice(
    payload: dict[str, Any],
    key: str,
    choices: dict[str, _T],
    rule: str,
    problems: list[str],
    *,
    required: bool = True,
) -> _T | None:
    value = payload.get(key)
    if value is None or value == "":
        if required:
            problems.append(f"{key}: required, {rule}")
        return None
    text = as_text(value)
    choice = choices.get(text.strip()) if text is not None else None
    if choice is None:
        problems.append(f"{key}: must be {rule}, not {shown(value)}")
    return choice


def _tags(value: object, problems: list[str]) -> dict[str, str]:
    """Tags from `{EVENT.TAGSJSON}` (list or JSON text) or `{EVENT.TAGS}` (`k:v, k2:v2`)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            problems.append("event_tags: looks like JSON ({EVENT.TAGSJSON}) but does not parse")
            return {}
    if isinstance(value, str):
        pairs = [
            (name.strip(), v.strip()) for name, _, v in (i.partition(":") for i in value.split(","))
        ]
    elif isinstance(value, list):
        pairs = _tag_objects(value, problems)
    else:
        problems.append(f"event_tags: must be an array of tags or text, not {json_type(value)}")
        return {}
    tags: dict[str, str] = {}
    for name, tag_value in pairs:
        if not name:
            continue
        # Zabbix allows one tag name several times (scope:availability, scope:performance).
        tags[name] = f"{tags[name]},{tag_value}" if name in tags else tag_value
    return tags


def _tag_objects(items: list[Any], problems: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        tag = item.get("tag") if isinstance(item, dict) else None
        value = as_text(item.get("value", "")) if isinstance(item, dict) else None
        if not isinstance(tag, str) or not tag.strip() or value is None:
            problems.append(f"event_tags[{index}]: must be an object with 'tag' and 'value'")
            continue
        pairs.append((tag.strip(), value))
    return pairs


def _zone(name: str, problems: list[str]) -> tzinfo | None:
    if not name:
        return None
    try:
        return parse_timezone(name)
    except ValueError as e:
        problems.append(f"event_timezone: {e}")
        return None


def _moment(
    text: dict[str, str], date_key: str, time_key: str, zone: tzinfo | None, problems: list[str]
) -> datetime | None:
    date, time = text[date_key], text[time_key]
    if not date:
        return None
    try:
        return in_range(
            datetime.strptime(f"{date} {time or '00:00:00'}", _DATE_FORMAT).replace(
                tzinfo=zone or UTC
            )
        )
    except ValueError:
        problems.append(f"{date_key}/{time_key}: must be Zabbix's 2026.11.22 and 10:15:00")
        return None


def _links(base_url: str, trigger_id: str, event_id: str) -> list[Link]:
    if not base_url:
        return []
    if not trigger_id:
        return [Link(href=base_url, text="Zabbix")]
    query = urlencode({"triggerid": trigger_id, "eventid": event_id})
    return [Link(href=f"{base_url.rstrip('/')}/tr_events.php?{query}", text="Zabbix event")]
