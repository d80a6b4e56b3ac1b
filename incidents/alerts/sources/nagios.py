"""Nagios and Icinga notifications, posted by a notification command.

The command posts the standard macros under their own names, as JSON or as form
fields (`NOTIFICATIONTYPE=$NOTIFICATIONTYPE$&HOSTNAME=$HOSTNAME$&...`):

- `NOTIFICATIONTYPE` (required): `PROBLEM` (firing), `RECOVERY` (resolved) or
  `ACKNOWLEDGEMENT` (firing, acknowledged). Other types (flapping, downtime, custom)
  are refused: send them with a notification command of their own, or not at all.
- `HOSTNAME` (required), `HOSTADDRESS`.
- `SERVICEDESC`: absent or empty for a host notification.
- `SERVICESTATE` (OK, WARNING, CRITICAL, UNKNOWN) for a service, `HOSTSTATE` (UP, DOWN,
  UNREACHABLE) for a host. Severity: CRITICAL, DOWN and UNREACHABLE are critical,
  WARNING is warning, UNKNOWN is error, OK and UP are info.
- `SERVICEOUTPUT` / `HOSTOUTPUT`, `LONGSERVICEOUTPUT` / `LONGHOSTOUTPUT`.
- `SERVICEPROBLEMID` / `HOSTPROBLEMID` and `LASTSERVICEPROBLEMID` / `LASTHOSTPROBLEMID`:
  the dedup key. Nagios numbers each problem and sets the current id to 0 on
  recovery, so a RECOVERY is matched through the LAST... id. The fingerprint is
  `nagios:<host>:<service, or "host">:<problem id>`.
- `NOTIFICATIONAUTHOR`, `NOTIFICATIONCOMMENT`: who acknowledged, and why.
- `TIMET` (Unix time) or `LONGDATETIME` (optional): when. `LONGDATETIME` is read only
  when its zone is UTC, GMT or a numeric offset; zone abbreviations are ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.alerts.sources.common import (
    as_text,
    bounded_fingerprint,
    build_alert,
    from_epoch,
    in_range,
    json_type,
    payload_error,
    require_object,
    shown,
    truncate_summary,
)

NOTIFICATION_TYPES: dict[str, tuple[AlertState, bool]] = {
    "PROBLEM": (AlertState.FIRING, False),
    "RECOVERY": (AlertState.RESOLVED, False),
    "ACKNOWLEDGEMENT": (AlertState.FIRING, True),
}
"""Accepted `NOTIFICATIONTYPE`s: the state they report, and whether they acknowledge."""

SERVICE_SEVERITIES = {
    "OK": Severity.INFO,
    "WARNING": Severity.WARNING,
    "CRITICAL": Severity.CRITICAL,
    "UNKNOWN": Severity.ERROR,
}
HOST_SEVERITIES = {"UP": Severity.INFO, "DOWN": Severity.CRITICAL, "UNREACHABLE": Severity.CRITICAL}


@dataclass(frozen=True)
class _Kind:
    """Where the fields of a host or of a service notification live."""

    name: str
    state: str
    output: str
    long_output: str
    problem_id: str
    severities: dict[str, Severity]


_SERVICE = _Kind(
    "service",
    "SERVICESTATE",
    "SERVICEOUTPUT",
    "LONGSERVICEOUTPUT",
    "SERVICEPROBLEMID",
    SERVICE_SEVERITIES,
)
_HOST = _Kind("host", "HOSTSTATE", "HOSTOUTPUT", "LONGHOSTOUTPUT", "HOSTPROBLEMID", HOST_SEVERITIES)


def normalize_nagios(body: Any) -> list[AlertIn]:
    """Normalize a Nagios or Icinga notification (see the module's field list).

    Args:
        body: The decoded JSON body, or form fields decoded to a dict of strings.

    Returns:
        One alert.

    Raises:
        PayloadError: The notification type is not accepted, or a field is missing
            or malformed.
    """
    payload = require_object(body)
    problems: list[str] = []
    text = _Texts(payload, problems)
    notification = text.get("NOTIFICATIONTYPE").upper()
    accepted = NOTIFICATION_TYPES.get(notification)
    if accepted is None:
        given = shown(notification) if notification else "missing"
        problems.append(
            f"NOTIFICATIONTYPE: {given} is not accepted (accepted: {', '.join(NOTIFICATION_TYPES)})"
        )
    host = text.get("HOSTNAME")
    if not host and "HOSTNAME" not in text.invalid:
        problems.append("HOSTNAME: required")
    service = text.get("SERVICEDESC")
    kind = _SERVICE if service else _HOST
    state = text.get(kind.state).upper()
    severity = kind.severities.get(state)
    if severity is None:
        problems.append(f"{kind.state}: must be one of {', '.join(kind.severities)}")
    id_key = f"LAST{kind.problem_id}" if notification == "RECOVERY" else kind.problem_id
    problem_id = text.get(id_key)
    if problem_id in ("", "0"):
        problems.append(f"{id_key}: required, the non-zero id of the {kind.name}'s problem")
    moment = _moment(payload, text, problems)
    if problems or accepted is None or severity is None:
        raise payload_error(problems)  # the Nones come with a problem recorded

    status, acknowledge = accepted
    output = text.get(kind.output)
    subject = f"{host}/{service}" if service else host
    summary = f"{subject} is {state}: {output}" if output else f"{subject} is {state}"
    labels = {"host": host, "service": service, "state": state, "address": text.get("HOSTADDRESS")}
    annotations = {
        "output": output,
        "notification_type": notification,
        "ack_author": text.get("NOTIFICATIONAUTHOR") if acknowledge else "",
        "ack_comment": text.get("NOTIFICATIONCOMMENT") if acknowledge else "",
    }
    return [
        build_alert(
            lambda: AlertIn(
                source=Source.NAGIOS,
                fingerprint=bounded_fingerprint(f"nagios:{host}:{service or 'host'}:{problem_id}"),
                status=status,
                severity=severity,
                summary=truncate_summary(summary),
                description=text.get(kind.long_output),
                labels={name: value for name, value in labels.items() if value},
                annotations={name: value for name, value in annotations.items() if value},
                starts_at=moment if notification == "PROBLEM" else None,
                ends_at=moment if status is AlertState.RESOLVED else None,
                acknowledge=acknowledge,
                raw=payload,
            )
        )
    ]


class _Texts:
    """Macro values as stripped text: strings or numbers, absent as ""."""

    def __init__(self, payload: dict[str, Any], problems: list[str]) -> None:
        self._payload = payload
        self._problems = problems
        self.invalid: set[str] = set()
        """Keys whose value was neither a string nor a number (already reported)."""

    def get(self, key: str) -> str:
        value = self._payload.get(key)
        if value is None:
            return ""
        text = as_text(value)
        if text is None:
            if key not in self.invalid:
                self.invalid.add(key)
                self._problems.append(
                    f"{key}: must be a string or a number, not {json_type(value)}"
                )
            return ""
        return text.strip()


def _moment(payload: dict[str, Any], text: _Texts, problems: list[str]) -> datetime | None:
    if payload.get("TIMET") in (None, ""):
        return _long_date_time(text.get("LONGDATETIME"))
    try:
        return from_epoch(int(text.get("TIMET")))
    except ValueError:
        problems.append("TIMET: must be a Unix time in seconds")
        return None


def _long_date_time(value: str) -> datetime | None:
    """Nagios' `Fri Nov 22 10:15:00 UTC 2026` or Icinga 2's `2026-11-22 10:15:00 +0000`."""
    parts = value.split()
    try:
        if len(parts) == 6 and parts[4] in ("UTC", "GMT"):
            nagios = " ".join([*parts[:4], parts[5]])
            return datetime.strptime(nagios, "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
        return in_range(datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z"))
    except ValueError:
        return None  # optional, and a zone abbreviation such as CET cannot be read safely
