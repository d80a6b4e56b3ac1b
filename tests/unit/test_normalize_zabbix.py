from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertState, Link, Severity, Source
from incidents.alerts.sources.zabbix import normalize_zabbix

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def errors_of(body: object) -> list[str]:
    with pytest.raises(PayloadError) as caught:
        normalize_zabbix(body)
    return caught.value.errors


def event(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"event_id": "7", "event_value": "1", "event_name": "Disk full"}
    body.update(fields)
    return body


def test_problem() -> None:
    body = load("zabbix_problem.json")
    [alert] = normalize_zabbix(body)
    assert alert.source is Source.ZABBIX
    assert alert.fingerprint == "zabbix:4242"
    assert alert.status is AlertState.FIRING
    assert alert.severity is Severity.CRITICAL  # 4, High
    assert alert.summary == "Zabbix agent is not available (for 3m)"
    assert alert.description.startswith("For passive agents only")
    assert alert.labels == {
        "class": "os",
        "component": "system",
        "scope": "availability,performance",
        "host": "db1.example.com",
        "trigger_id": "23077",
    }
    assert alert.annotations == {"host_ip": "10.0.0.21", "zabbix_severity": "High"}
    assert alert.starts_at == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    # Zabbix leaves {EVENT.RECOVERY.*} unexpanded on a problem: no end, no error.
    assert alert.ends_at is None
    assert alert.links == [
        Link(
            href="https://zabbix.example.com/tr_events.php?triggerid=23077&eventid=4242",
            text="Zabbix event",
        )
    ]
    assert alert.raw == body


def test_recovery_shares_the_problems_fingerprint() -> None:
    [problem] = normalize_zabbix(load("zabbix_problem.json"))
    [recovery] = normalize_zabbix(load("zabbix_recovery.json"))  # numbers, not strings
    assert recovery.fingerprint == problem.fingerprint == "zabbix:4242"
    assert recovery.status is AlertState.RESOLVED
    assert recovery.severity is Severity.CRITICAL
    # {EVENT.TAGS} text form gives the same labels as {EVENT.TAGSJSON}.
    assert recovery.labels == problem.labels
    # Read in Europe/Riga (UTC+2 in November): the same instant as the problem's UTC time.
    assert recovery.starts_at == problem.starts_at
    assert recovery.starts_at == datetime(2026, 11, 22, 12, 15, tzinfo=ZoneInfo("Europe/Riga"))
    assert recovery.ends_at == datetime(2026, 11, 22, 10, 42, 30, tzinfo=UTC)
    assert recovery.description == "Last seen: 2026-11-22 10:12:00"  # no trigger description
    assert recovery.annotations["operational_data"] == "Last seen: 2026-11-22 10:12:00"


def test_test_button_macros_are_refused_naming_each_field() -> None:
    errors = errors_of(load("zabbix_test_button.json"))
    assert errors[0] == (
        "event_id: unexpanded Zabbix macro {EVENT.ID} (sent by the media type's Test button?)"
    )
    assert "host_name: unexpanded Zabbix macro {HOST.NAME}" in errors[5]
    assert any(e.startswith("zabbix_url: unexpanded Zabbix macro {$ZABBIX.URL}") for e in errors)
    assert len(errors) == 16


def test_macro_inside_a_longer_value_or_a_tag_is_refused() -> None:
    assert errors_of(event(event_name="Problem on {HOST.NAME}")) == [
        "event_name: unexpanded Zabbix macro {HOST.NAME} (sent by the media type's Test button?)"
    ]
    tags = [{"tag": "service", "value": "{TRIGGER.ID}"}]
    [message] = errors_of(event(event_tags=tags))
    assert message.startswith("event_tags[0].value: unexpanded Zabbix macro {TRIGGER.ID}")


def test_recovery_fields_unexpanded_on_a_recovery_are_refused() -> None:
    body = event(event_value="0", event_recovery_date="{EVENT.RECOVERY.DATE}")
    [message] = errors_of(body)
    assert message.startswith("event_recovery_date: unexpanded Zabbix macro")


def test_braces_that_are_not_macros_pass() -> None:
    [alert] = normalize_zabbix(event(event_opdata='{"used": "95%"}', trigger_description="{a}"))
    assert alert.annotations["operational_data"] == '{"used": "95%"}'


@pytest.mark.parametrize(
    ("nseverity", "expected"),
    [
        ("0", Severity.INFO),
        ("1", Severity.INFO),
        (2, Severity.WARNING),
        ("3", Severity.ERROR),
        ("4", Severity.CRITICAL),
        (5, Severity.CRITICAL),
        (None, Severity.WARNING),
    ],
)
def test_severity_mapping(nseverity: object, expected: Severity) -> None:
    [alert] = normalize_zabbix(event(event_nseverity=nseverity))
    assert alert.severity is expected


def test_tags_as_json_text_and_fields_win_over_tags() -> None:
    tags = json.dumps([{"tag": "host", "value": "from-tag"}, {"tag": "env", "value": "prod"}])
    [alert] = normalize_zabbix(event(event_tags=tags, host_name="db1"))
    assert alert.labels == {"host": "db1", "env": "prod"}
    [bare] = normalize_zabbix(event(event_tags="maintenance, team:dba"))
    assert bare.labels == {"maintenance": "", "team": "dba"}


def test_unknown_values_read_as_absent_and_summary_falls_back() -> None:
    [alert] = normalize_zabbix(
        {"event_id": 9, "event_value": 1, "host_ip": "*UNKNOWN*", "trigger_name": "T"}
    )
    assert alert.annotations == {}
    assert alert.summary == "T"
    [nameless] = normalize_zabbix({"event_id": 9, "event_value": 1})
    assert nameless.summary == "Zabbix event 9"
    assert nameless.labels == {}
    assert nameless.starts_at is None


def test_offset_timezone_and_long_summary() -> None:
    [alert] = normalize_zabbix(
        event(
            event_date="2026.11.22",
            event_time="10:15:00",
            event_timezone="-05:00",
            event_name="x" * 3000,
        )
    )
    assert alert.starts_at == datetime(2026, 11, 22, 15, 15, tzinfo=UTC)
    assert alert.summary == "x" * 1024


def test_missing_and_invalid_fields() -> None:
    assert errors_of({"event_name": "x"}) == [
        "event_id: required (a string or a number)",
        "event_value: required, 1 (problem) or 0 (recovery)",
    ]
    assert errors_of(event(event_value="2", event_nseverity="6")) == [
        "event_value: must be 1 (problem) or 0 (recovery), not '2'",
        "event_nseverity: must be 0 to 5, not '6'",
    ]
    assert errors_of(event(event_value=True, host_name=["db1"])) == [
        "event_value: must be 1 (problem) or 0 (recovery), not True",
        "host_name: must be a string or a number, not array",
    ]
    assert errors_of(event(event_date="22/11/2026", event_timezone="Mars/Olympus")) == [
        "event_timezone: must be UTC, an offset like +02:00, or an IANA time zone like Europe/Riga",
        "event_date/event_time: must be Zabbix's 2026.11.22 and 10:15:00",
    ]
    assert errors_of(event(event_tags=[{"tag": "a"}, "b", {"tag": "", "value": "c"}])) == [
        "event_tags[1]: must be an object with 'tag' and 'value'",
        "event_tags[2]: must be an object with 'tag' and 'value'",
    ]
    assert errors_of(event(event_tags="[not json")) == [
        "event_tags: looks like JSON ({EVENT.TAGSJSON}) but does not parse"
    ]


@pytest.mark.parametrize("body", [[], "event_id=1", None])
def test_non_object_body(body: object) -> None:
    [message] = errors_of(body)
    assert message.startswith("body: must be a JSON object")


def test_huge_event_id_still_makes_a_valid_fingerprint() -> None:
    [alert] = normalize_zabbix(event(event_id="9" * 1000))
    assert alert.fingerprint.startswith("zabbix:999")
    assert len(alert.fingerprint) == 255
