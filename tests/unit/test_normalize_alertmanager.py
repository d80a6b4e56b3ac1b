from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertState, Link, Severity, Source
from incidents.alerts.sources.alertmanager import normalize_alertmanager

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def errors_of(body: object) -> list[str]:
    with pytest.raises(PayloadError) as caught:
        normalize_alertmanager(body)
    return caught.value.errors


def minimal_alert(**overrides: Any) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "Test"},
        "annotations": {},
        "startsAt": "2026-11-22T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    alert.update(overrides)
    return alert


def test_real_firing_payload() -> None:
    body = load("alertmanager_payload.json")
    [alert] = normalize_alertmanager(body)
    assert alert.source is Source.ALERTMANAGER
    assert alert.fingerprint == "f419042a6b5d1904"
    assert alert.status is AlertState.FIRING
    assert alert.severity is Severity.CRITICAL
    assert alert.summary == "Lab alert that always fires"
    assert alert.description == "vector(1) is always 1"
    assert alert.labels == {"alertname": "AlwaysFiring", "service": "demo", "severity": "critical"}
    assert alert.starts_at == datetime(2026, 11, 22, 0, 21, 46, 746000, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.links == [
        Link(href="http://vm:9090/graph?g0.expr=vector%281%29&g0.tab=1", text="generator")
    ]
    assert alert.group_key == '{}:{alertname="AlwaysFiring"}'
    assert alert.acknowledge is False
    assert alert.raw == body["alerts"][0]


def test_real_resolved_payload() -> None:
    [alert] = normalize_alertmanager(load("alertmanager_payload_resolved.json"))
    assert alert.fingerprint == "a23e1f9e420d4df1"
    assert alert.status is AlertState.RESOLVED
    assert alert.severity is Severity.INFO
    assert alert.summary == "posted via API, ends in 3s"
    assert alert.description == ""
    assert alert.starts_at == datetime(2026, 11, 22, 0, 22, 2, 506948, tzinfo=UTC)
    assert alert.ends_at == datetime(2026, 11, 22, 0, 22, 5, 506948, tzinfo=UTC)
    assert alert.links == []  # generatorURL is ""


def test_real_targetup_payload() -> None:
    [alert] = normalize_alertmanager(load("alertmanager_payload_targetup.json"))
    assert alert.fingerprint == "a2143f8951651a10"
    assert alert.severity is Severity.WARNING
    assert alert.labels["instance"] == "127.0.0.1:9090"
    assert alert.summary == "prometheus target 127.0.0.1:9090 is up"
    assert alert.links[0].href.startswith("http://vm:9090/graph?g0.expr=up%7Bjob")


def test_mixed_group_takes_each_alerts_own_status() -> None:
    body = load("alertmanager_mixed_group.json")
    assert body["status"] == "firing"
    firing, resolved = normalize_alertmanager(body)

    assert (firing.fingerprint, firing.status) == ("5e2a5c2a7f1b9d01", AlertState.FIRING)
    assert firing.severity is Severity.WARNING  # "Warning": case does not matter
    assert firing.summary == "Pod shop/checkout-7d9f8b6c5-x2k4q is crash looping"  # message
    assert firing.starts_at == datetime(2026, 11, 22, 9, 58, 12, 123456, tzinfo=UTC)  # ns cut
    assert firing.ends_at is None

    assert (resolved.fingerprint, resolved.status) == ("9c6e1b2f3d4a5b60", AlertState.RESOLVED)
    # Only a description: it becomes the summary and is not repeated below it.
    assert resolved.summary == "Pod shop/checkout-7d9f8b6c5-abcde restarted 5 times in 10 minutes"
    assert resolved.description == ""
    assert resolved.ends_at == datetime(
        2026, 11, 22, 10, 5, 30, 500000, tzinfo=timezone(timedelta(hours=1))
    )
    assert resolved.ends_at == datetime(2026, 11, 22, 9, 5, 30, 500000, tzinfo=UTC)
    assert firing.group_key == resolved.group_key == body["groupKey"]
    assert [firing.raw, resolved.raw] == body["alerts"]


def test_truncated_body_is_accepted_and_missing_fingerprints_are_computed() -> None:
    body = load("alertmanager_truncated.json")
    assert body["truncatedAlerts"] == 2
    first, second = normalize_alertmanager(body)
    # No "fingerprint" key: computed as Alertmanager would.
    assert first.fingerprint == "f404ecabc8dd5cd7"
    assert first.summary == "InstanceDown"  # no annotations: the alertname
    assert first.links == []
    # "fingerprint": "": computed too.
    assert second.fingerprint == "d534e9362f500066"
    assert second.severity is Severity.CRITICAL  # "PAGE"
    # Go's zero time means "still open".
    assert first.ends_at is None and second.ends_at is None
    assert second.starts_at == datetime(2026, 11, 22, 10, 0, 5, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("Page", Severity.CRITICAL),
        ("fatal", Severity.CRITICAL),
        ("EMERGENCY", Severity.CRITICAL),
        ("error", Severity.ERROR),
        ("major", Severity.ERROR),
        ("high", Severity.ERROR),
        ("err", Severity.ERROR),
        ("warning", Severity.WARNING),
        ("warn", Severity.WARNING),
        ("minor", Severity.WARNING),
        ("medium", Severity.WARNING),
        ("average", Severity.WARNING),
        ("info", Severity.INFO),
        ("informational", Severity.INFO),
        ("low", Severity.INFO),
        ("none", Severity.INFO),
        ("notice", Severity.INFO),
        ("OK", Severity.INFO),
        ("sev1", Severity.WARNING),
        (None, Severity.WARNING),
    ],
)
def test_severity_label_mapping(label: str | None, expected: Severity) -> None:
    labels = {"alertname": "Test"} | ({"severity": label} if label is not None else {})
    [alert] = normalize_alertmanager({"alerts": [minimal_alert(labels=labels)]})
    assert alert.severity is expected


@pytest.mark.parametrize(
    ("annotations", "summary", "description"),
    [
        ({"summary": "S", "message": "M", "description": "D"}, "S", "D"),
        ({"message": "M", "description": "D"}, "M", "D"),
        ({"description": "D"}, "D", ""),
        ({"summary": "  ", "description": "D"}, "D", ""),
        ({}, "Test", ""),
    ],
)
def test_summary_fallbacks(annotations: dict[str, str], summary: str, description: str) -> None:
    [alert] = normalize_alertmanager({"alerts": [minimal_alert(annotations=annotations)]})
    assert (alert.summary, alert.description) == (summary, description)


def test_last_resort_summary_and_long_summaries() -> None:
    [bare] = normalize_alertmanager({"alerts": [minimal_alert(labels={})]})
    assert bare.summary == "Alertmanager alert"
    assert bare.fingerprint == "cbf29ce484222325"
    [long] = normalize_alertmanager(
        {"alerts": [minimal_alert(annotations={"summary": "x" * 5000})]}
    )
    assert long.summary == "x" * 1024


def test_status_falls_back_to_the_groups_only_when_the_alert_has_none() -> None:
    element = minimal_alert()
    del element["status"]
    [alert] = normalize_alertmanager({"status": "resolved", "alerts": [element]})
    assert alert.status is AlertState.RESOLVED


def test_firing_alert_with_an_expected_end_is_still_open() -> None:
    element = minimal_alert(endsAt="2026-11-22T10:05:00Z")
    [alert] = normalize_alertmanager({"alerts": [element]})
    assert alert.ends_at is None
    assert alert.raw["endsAt"] == "2026-11-22T10:05:00Z"


def test_huge_sender_fingerprint_is_shortened_stably() -> None:
    element = minimal_alert(fingerprint="f" * 1000)
    [first] = normalize_alertmanager({"alerts": [element]})
    [again] = normalize_alertmanager({"alerts": [element]})
    assert len(first.fingerprint) == 255
    assert first.fingerprint == again.fingerprint


@pytest.mark.parametrize("body", [[], "alerts", None, 42, True])
def test_non_object_body(body: object) -> None:
    [message] = errors_of(body)
    assert message.startswith("body: must be a JSON object")


def test_missing_or_empty_alerts() -> None:
    assert errors_of({"version": "4"}) == ["alerts: must be an array of alerts, not null"]
    assert errors_of({"alerts": {}}) == ["alerts: must be an array of alerts, not object"]
    assert errors_of({"alerts": []}) == ["alerts: must not be empty"]


def test_every_problem_is_reported_with_its_path() -> None:
    body = {
        "alerts": [
            minimal_alert(),
            "not an alert",
            minimal_alert(labels={"severity": 1}, status="pending"),
            minimal_alert(annotations=["x"], startsAt="yesterday", generatorURL=5),
        ]
    }
    assert errors_of(body) == [
        "alerts[1]: must be an object, not string",
        "alerts[2].labels: must be an object of strings",
        "alerts[2].status: must be 'firing' or 'resolved'",
        "alerts[3].annotations: must be an object of strings",
        "alerts[3].startsAt: must be an RFC 3339 date-time with a time zone,"
        " like 2026-11-22T10:15:00Z",
        "alerts[3].generatorURL: must be a string, not number",
    ]


def test_naive_or_impossible_times_are_refused() -> None:
    for value in ("2026-11-22T10:00:00", "2026-02-30T10:00:00Z", "2026-11-22"):
        [message] = errors_of({"alerts": [minimal_alert(startsAt=value)]})
        assert message.startswith("alerts[0].startsAt: must be an RFC 3339 date-time")


def test_invalid_unicode_is_a_payload_error_not_a_crash() -> None:
    element = minimal_alert(annotations={"summary": "broken \ud800"})
    assert errors_of({"alerts": [element]}) == [
        "alerts[0].annotations.summary: not valid Unicode (a lone surrogate)"
    ]


def test_thousands_of_problems_are_capped() -> None:
    errors = errors_of({"alerts": ["x"] * 5000})
    assert len(errors) == 51
    assert errors[0] == "alerts[0]: must be an object, not string"
    assert errors[-1] == "... and 4950 more problems"
