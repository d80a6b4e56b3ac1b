from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertState, Link, Severity, Source
from incidents.alerts.sources.pagerduty import normalize_pagerduty, pagerduty_dedup_key

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"
SEVERITY_INVALID = (
    "'payload.severity' is invalid (must be one of the following:"
    " 'critical', 'warning', 'error' or 'info')"
)


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def errors_of(body: object) -> list[str]:
    with pytest.raises(PayloadError) as caught:
        normalize_pagerduty(body)
    return caught.value.errors


def trigger(**payload: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"summary": "CPU high", "source": "srv01", "severity": "error"}
    fields.update(payload)
    return {"routing_key": "k" * 32, "event_action": "trigger", "payload": fields}


def test_trigger_from_pagerdutys_documentation() -> None:
    body = load("pagerduty_trigger.json")
    assert body["payload"]["source"].endswith(":cluster/api-stats-prod-003")
    [alert] = normalize_pagerduty(body)
    assert alert.source is Source.PAGERDUTY
    assert alert.fingerprint == "samplekeyhere"
    assert pagerduty_dedup_key([alert]) == "samplekeyhere"
    assert alert.status is AlertState.FIRING
    assert alert.severity is Severity.INFO
    assert alert.summary == "Example alert on host1.example.com"
    assert alert.labels == {
        "source": body["payload"]["source"],
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "deploy",
    }
    # custom_details as JSON text, plus its top-level string values.
    assert json.loads(alert.annotations["custom_details"]) == {
        "ping time": "1500ms",
        "load avg": 0.75,
    }
    assert alert.annotations["ping time"] == "1500ms"
    assert "load avg" not in alert.annotations
    # "2015-07-17T08:42:58.315+0000": ISO 8601 with a colon-less offset.
    assert alert.starts_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert alert.links == [
        Link(href="https://example.com/", text="Link text"),
        Link(
            href="https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png",
            text="Example text",
        ),
    ]
    assert alert.acknowledge is False
    # raw is the event, minus the integration's secret.
    assert alert.raw == {**body, "routing_key": "<redacted>"}


def test_trigger_without_dedup_key_gets_a_generated_one() -> None:
    body = load("pagerduty_trigger_without_dedup_key.json")
    [first] = normalize_pagerduty(body)
    [second] = normalize_pagerduty(body)
    assert re.fullmatch(r"[0-9a-f]{32}", first.fingerprint)
    assert first.fingerprint != second.fingerprint  # each trigger is a new alert, as in PD
    assert pagerduty_dedup_key([first]) == first.fingerprint
    assert first.severity is Severity.CRITICAL
    assert first.labels == {"source": "prod-datapipe03.example.com"}


def test_acknowledge_and_resolve_without_payload() -> None:
    [ack] = normalize_pagerduty(load("pagerduty_acknowledge.json"))
    assert ack.fingerprint == "srv01/mysql"
    assert (ack.status, ack.acknowledge) == (AlertState.FIRING, True)
    assert ack.summary == "acknowledged via PagerDuty Events API"
    [resolve] = normalize_pagerduty(load("pagerduty_resolve.json"))
    assert resolve.fingerprint == "srv01/mysql"
    assert (resolve.status, resolve.acknowledge) == (AlertState.RESOLVED, False)
    assert resolve.severity is Severity.INFO
    assert resolve.summary == "resolved via PagerDuty Events API"
    assert resolve.labels == {}


def test_resolve_uses_a_usable_payload_and_ignores_the_rest() -> None:
    body = load("pagerduty_resolve.json")
    body["payload"] = {"summary": "Disk back to 40%", "severity": "Info", "source": 7}
    [alert] = normalize_pagerduty(body)
    assert alert.summary == "Disk back to 40%"
    assert alert.severity is Severity.INFO  # "Info" is unusable: the default
    assert alert.labels == {}


def test_severity_is_case_sensitive() -> None:
    assert errors_of(trigger(severity="Info")) == [SEVERITY_INVALID]
    assert errors_of(trigger(severity="fatal")) == [SEVERITY_INVALID]


@pytest.mark.parametrize("severity", ["critical", "error", "warning", "info"])
def test_each_pagerduty_severity(severity: str) -> None:
    [alert] = normalize_pagerduty(trigger(severity=severity))
    assert alert.severity is Severity(severity)


def test_resolve_and_acknowledge_need_a_dedup_key() -> None:
    for action in ("resolve", "acknowledge"):
        body = {"routing_key": "k", "event_action": action}
        assert errors_of(body) == ["'dedup_key' is missing or blank"]
        assert errors_of({**body, "dedup_key": "  "}) == ["'dedup_key' is missing or blank"]


def test_missing_fields_read_like_pagerduty() -> None:
    assert errors_of({}) == [
        "'routing_key' is missing or blank",
        "'event_action' is missing or blank",
    ]
    assert errors_of({"routing_key": "k", "event_action": "Trigger"}) == [
        "'event_action' is invalid (must be one of the following:"
        " 'trigger', 'acknowledge' or 'resolve')"
    ]
    assert errors_of({"routing_key": "k", "event_action": "trigger"}) == [
        "'payload' is missing or blank"
    ]
    assert errors_of({"routing_key": "k", "event_action": "trigger", "payload": {}}) == [
        "'payload.summary' is missing or blank",
        "'payload.severity' is missing or blank",
        "'payload.source' is missing or blank",
    ]


def test_wrong_types_and_bad_values() -> None:
    body = trigger(summary=42, component=["db"], timestamp="last tuesday")
    body["routing_key"] = 12345
    body["links"] = [{"text": "no href"}, "https://example.com"]
    body["images"] = {"src": "x"}
    assert errors_of(body) == [
        "'routing_key' is invalid (must be a string)",
        "'payload.summary' is invalid (must be a string)",
        "'payload.timestamp' is invalid (must be an ISO 8601 date-time)",
        "'payload.component' is invalid (must be a string)",
        "'links[0].href' is missing or blank",
        "'links[1].href' is missing or blank",
        "'images' is invalid (must be an array)",
    ]
    assert errors_of({**trigger(), "dedup_key": "d" * 256}) == [
        "'dedup_key' is invalid (must be at most 255 characters)"
    ]
    assert errors_of({**trigger(), "payload": "CPU high"}) == [
        "'payload' is invalid (must be an object)"
    ]


def test_long_summary_is_truncated_like_pagerduty_does() -> None:
    [alert] = normalize_pagerduty(trigger(summary="s" * 2000))
    assert alert.summary == "s" * 1024


def test_unix_timestamps_and_non_object_custom_details() -> None:
    [alert] = normalize_pagerduty(trigger(timestamp=1795342500, custom_details="disk full"))
    assert alert.starts_at == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    assert alert.annotations == {"custom_details": '"disk full"'}
    [millis] = normalize_pagerduty(trigger(timestamp=1795342500000))
    assert millis.starts_at == alert.starts_at


def test_dedup_key_helper_needs_exactly_one_alert() -> None:
    with pytest.raises(ValueError, match="exactly one alert"):
        pagerduty_dedup_key([])


@pytest.mark.parametrize("body", [[{"event_action": "trigger"}], "trigger", None])
def test_non_object_body(body: object) -> None:
    [message] = errors_of(body)
    assert message.startswith("body: must be a JSON object")
