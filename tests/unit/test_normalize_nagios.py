from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertState, Severity, Source
from incidents.alerts.sources.nagios import normalize_nagios

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def errors_of(body: object) -> list[str]:
    with pytest.raises(PayloadError) as caught:
        normalize_nagios(body)
    return caught.value.errors


def service(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "NOTIFICATIONTYPE": "PROBLEM",
        "HOSTNAME": "web01",
        "SERVICEDESC": "HTTP",
        "SERVICESTATE": "WARNING",
        "SERVICEPROBLEMID": "5",
    }
    body.update(fields)
    return body


def test_service_problem() -> None:
    body = load("nagios_service_problem.json")
    [alert] = normalize_nagios(body)
    assert alert.source is Source.NAGIOS
    assert alert.fingerprint == "nagios:web01:HTTP:1187"
    assert alert.status is AlertState.FIRING
    assert alert.severity is Severity.CRITICAL
    assert alert.summary == (
        "web01/HTTP is CRITICAL: connect to address 192.0.2.10 and port 80: Connection refused"
    )
    assert alert.description == "HTTP CRITICAL - Unable to open TCP socket\nRetried 3 times"
    assert alert.labels == {
        "host": "web01",
        "service": "HTTP",
        "state": "CRITICAL",
        "address": "192.0.2.10",
    }
    assert alert.starts_at == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)  # TIMET
    assert alert.ends_at is None
    assert alert.acknowledge is False
    assert alert.raw == body


def test_recovery_shares_the_fingerprint_through_the_last_problem_id() -> None:
    [problem] = normalize_nagios(load("nagios_service_problem.json"))
    recovery_body = load("nagios_service_recovery.json")
    assert recovery_body["SERVICEPROBLEMID"] == "0"  # Nagios zeroes it on recovery
    [recovery] = normalize_nagios(recovery_body)
    assert recovery.fingerprint == problem.fingerprint == "nagios:web01:HTTP:1187"
    assert recovery.status is AlertState.RESOLVED
    assert recovery.severity is Severity.INFO
    assert recovery.summary.startswith("web01/HTTP is OK: HTTP OK: HTTP/1.1 200 OK")
    assert recovery.ends_at == datetime(2026, 11, 22, 10, 45, tzinfo=UTC)  # numeric TIMET
    assert recovery.starts_at is None


def test_acknowledgement() -> None:
    [problem] = normalize_nagios(load("nagios_service_problem.json"))
    [ack] = normalize_nagios(load("nagios_service_acknowledgement.json"))
    assert ack.fingerprint == problem.fingerprint
    assert ack.status is AlertState.FIRING
    assert ack.acknowledge is True
    assert ack.severity is Severity.CRITICAL
    assert ack.annotations["ack_author"] == "alice"
    assert ack.annotations["ack_comment"] == "Looking into it, nginx crashed after the upgrade"
    assert ack.annotations["notification_type"] == "ACKNOWLEDGEMENT"


def test_host_problem() -> None:
    [alert] = normalize_nagios(load("nagios_host_problem.json"))
    assert alert.fingerprint == "nagios:db1:host:2001"
    assert alert.severity is Severity.CRITICAL
    assert alert.summary == "db1 is DOWN: CRITICAL - Host Unreachable (192.0.2.21)"
    assert alert.labels == {"host": "db1", "state": "DOWN", "address": "192.0.2.21"}
    # Icinga 2's long_date_time with an offset.
    assert alert.starts_at == datetime(2026, 11, 22, 12, 15, tzinfo=timezone(timedelta(hours=2)))


def test_host_recovery_uses_the_last_host_problem_id() -> None:
    body = {
        "NOTIFICATIONTYPE": "RECOVERY",
        "HOSTNAME": "db1",
        "HOSTSTATE": "UP",
        "HOSTPROBLEMID": "0",
        "LASTHOSTPROBLEMID": 2001,
    }
    [alert] = normalize_nagios(body)
    assert alert.fingerprint == "nagios:db1:host:2001"
    assert (alert.status, alert.severity) == (AlertState.RESOLVED, Severity.INFO)
    assert alert.summary == "db1 is UP"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("CRITICAL", Severity.CRITICAL),
        ("WARNING", Severity.WARNING),
        ("UNKNOWN", Severity.ERROR),
        ("ok", Severity.INFO),
    ],
)
def test_service_severities(state: str, expected: Severity) -> None:
    [alert] = normalize_nagios(service(SERVICESTATE=state))
    assert alert.severity is expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [("DOWN", Severity.CRITICAL), ("UNREACHABLE", Severity.CRITICAL), ("UP", Severity.INFO)],
)
def test_host_severities(state: str, expected: Severity) -> None:
    body = {"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "h", "HOSTSTATE": state, "HOSTPROBLEMID": 3}
    [alert] = normalize_nagios(body)
    assert alert.severity is expected


def test_nagios_long_date_time_in_utc_is_read_and_other_zones_are_ignored() -> None:
    [utc] = normalize_nagios(service(LONGDATETIME="Sun Nov 22 10:15:00 UTC 2026"))
    assert utc.starts_at == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    [cet] = normalize_nagios(service(LONGDATETIME="Sun Nov 22 10:15:00 CET 2026"))
    assert cet.starts_at is None


@pytest.mark.parametrize("kind", ["FLAPPINGSTART", "DOWNTIMESTART", "CUSTOM", ""])
def test_other_notification_types_are_refused(kind: str) -> None:
    [message] = errors_of(service(NOTIFICATIONTYPE=kind))
    assert message == (
        f"NOTIFICATIONTYPE: {repr(kind) if kind else 'missing'} is not accepted"
        " (accepted: PROBLEM, RECOVERY, ACKNOWLEDGEMENT)"
    )


def test_missing_problem_ids_are_refused_naming_the_field() -> None:
    assert errors_of(service(SERVICEPROBLEMID="0")) == [
        "SERVICEPROBLEMID: required, the non-zero id of the service's problem"
    ]
    assert errors_of(service(NOTIFICATIONTYPE="RECOVERY", SERVICESTATE="OK")) == [
        "LASTSERVICEPROBLEMID: required, the non-zero id of the service's problem"
    ]
    host = {"NOTIFICATIONTYPE": "ACKNOWLEDGEMENT", "HOSTNAME": "h", "HOSTSTATE": "DOWN"}
    assert errors_of(host) == ["HOSTPROBLEMID: required, the non-zero id of the host's problem"]


def test_other_malformed_fields() -> None:
    assert errors_of({"NOTIFICATIONTYPE": "PROBLEM", "SERVICEDESC": "HTTP"}) == [
        "HOSTNAME: required",
        "SERVICESTATE: must be one of OK, WARNING, CRITICAL, UNKNOWN",
        "SERVICEPROBLEMID: required, the non-zero id of the service's problem",
    ]
    assert errors_of(service(HOSTNAME={"name": "web01"}, TIMET="yesterday")) == [
        "HOSTNAME: must be a string or a number, not object",
        "TIMET: must be a Unix time in seconds",
    ]
    assert errors_of(service(TIMET="99999999999999999999")) == [
        "TIMET: must be a Unix time in seconds"
    ]


def test_long_output_is_truncated_in_the_summary() -> None:
    [alert] = normalize_nagios(service(SERVICEOUTPUT="y" * 4000))
    assert len(alert.summary) == 1024
    assert alert.annotations["output"] == "y" * 4000


@pytest.mark.parametrize("body", [["PROBLEM"], "NOTIFICATIONTYPE=PROBLEM", None])
def test_non_object_body(body: object) -> None:
    [message] = errors_of(body)
    assert message.startswith("body: must be a JSON object")
