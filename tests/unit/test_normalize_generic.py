from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertState, Link, Severity, Source
from incidents.alerts.sources.generic import generic_json_schema, normalize_generic
from incidents.alerts.sources.registry import NORMALIZERS, normalize

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def errors_of(body: object) -> list[str]:
    with pytest.raises(PayloadError) as caught:
        normalize_generic(body)
    return caught.value.errors


def test_batch() -> None:
    body = load("generic_batch.json")
    backup, cert = normalize_generic(body)
    assert backup.source is Source.GENERIC
    assert backup.fingerprint == "backup-nightly-db1"
    assert (backup.status, backup.severity) == (AlertState.FIRING, Severity.ERROR)
    assert backup.summary == "Nightly backup of db1 failed"
    assert backup.description == "pg_dump exited with status 1: out of disk space on /backup"
    assert backup.labels == {"host": "db1", "job": "backup"}
    assert backup.annotations == {"runbook": "https://runbooks.example.com/backup"}
    assert backup.starts_at == datetime(2026, 11, 22, 2, 0, 5, tzinfo=UTC)
    assert backup.links == [Link(href="https://ci.example.com/jobs/backup/812", text="job log")]
    assert backup.group_key == "backups"
    assert backup.raw == body["alerts"][0]

    assert cert.fingerprint == "cert-expiry-www"
    assert cert.status is AlertState.RESOLVED
    assert cert.severity is Severity.WARNING  # the default
    assert cert.ends_at == datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert cert.group_key is None


def test_single_alert_without_the_wrapper() -> None:
    body = load("generic_single.json")
    [alert] = normalize_generic(body)
    assert alert.fingerprint == "ceph-health-warn"
    assert alert.status is AlertState.FIRING  # the default
    assert alert.severity is Severity.WARNING
    assert alert.labels == {"cluster": "ceph-prod"}
    assert alert.raw == body


def test_missing_id_names_its_path() -> None:
    body = {"alerts": [{"summary": "no id"}]}
    assert errors_of(body) == ["alerts[0].id: Field required"]
    assert errors_of({"summary": "no id"}) == ["id: Field required"]


def test_validation_messages_name_each_path() -> None:
    body = {
        "alerts": [
            {"id": "a", "summary": "s", "severity": "Critical"},
            {"id": "b", "summary": "s", "status": "open", "labels": {"x": 1}},
            {"id": "c", "summary": "s", "starts_at": "2026-11-22T10:00:00", "colour": "red"},
        ]
    }
    assert errors_of(body) == [
        "alerts[0].severity: Input should be 'critical', 'error', 'warning' or 'info'",
        "alerts[1].status: Input should be 'firing' or 'resolved'",
        "alerts[1].labels.x: Input should be a valid string",
        "alerts[2].starts_at: Input should have timezone info",
        "alerts[2].colour: Extra inputs are not permitted",
    ]
    assert errors_of({"alerts": []}) == [
        "alerts: List should have at least 1 item after validation, not 0"
    ]
    assert errors_of({"alerts": "x"}) == ["alerts: Input should be a valid list"]


def test_long_summary_is_cut_not_refused() -> None:
    [alert] = normalize_generic({"id": "x", "summary": "z" * 3000})
    assert alert.summary == "z" * 1024


def test_invalid_unicode_is_a_payload_error() -> None:
    assert errors_of({"alerts": [{"id": "x", "summary": "bad \ud800"}]}) == [
        "alerts[0].summary: not valid Unicode (a lone surrogate)"
    ]


def test_json_schema_is_published() -> None:
    schema = generic_json_schema()
    assert schema["required"] == ["alerts"]
    alert = schema["$defs"]["GenericAlert"]
    assert set(alert["required"]) == {"id", "summary"}
    assert alert["additionalProperties"] is False
    json.dumps(schema)


@pytest.mark.parametrize("body", [[{"id": "x", "summary": "s"}], "alert", None])
def test_non_object_body(body: object) -> None:
    [message] = errors_of(body)
    assert message.startswith("body: must be a JSON object")


def test_registry_has_a_normalizer_for_every_source() -> None:
    assert set(NORMALIZERS) == set(Source)
    [alert] = normalize(Source.GENERIC, load("generic_single.json"))
    assert alert.fingerprint == "ceph-health-warn"


@pytest.mark.parametrize("source", list(Source))
def test_no_source_accepts_text_that_is_not_unicode(source: Source) -> None:
    with pytest.raises(PayloadError) as caught:
        normalize(
            source, {"id": "x", "alerts": [{"labels": {"\udfff": "v"}}], "HOSTNAME": "\ud800"}
        )
    assert caught.value.errors == [
        "alerts[0].labels.\\udfff: not valid Unicode (a lone surrogate)",
        "HOSTNAME: not valid Unicode (a lone surrogate)",
    ]
