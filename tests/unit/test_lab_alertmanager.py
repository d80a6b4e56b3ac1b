"""The lab's Alertmanager: grouping, timing and webhook bodies as a real one sends them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.labels import labels_fingerprint
from lab.alerting.alertmanager import AlertmanagerNotifier, LabAlert, Route, go_time

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"


def oom(pod: str, at: datetime = T0) -> LabAlert:
    return LabAlert(
        labels={
            "alertname": "KubePodOOMKilled",
            "namespace": "shop",
            "pod": pod,
            "severity": "warning",
        },
        annotations={"summary": f"{pod} was OOMKilled", "runbook": "oom"},
        starts_at=at,
    )


def test_a_new_group_waits_group_wait_then_carries_every_alert() -> None:
    notifier = AlertmanagerNotifier()
    alerts = [oom("web-1"), oom("web-2")]
    assert notifier.due(alerts, T0) == []
    assert notifier.due(alerts, T0 + timedelta(seconds=29)) == []
    [body] = notifier.due(alerts, T0 + timedelta(seconds=30))
    assert body["groupKey"] == '{}:{alertname="KubePodOOMKilled"}'
    assert body["status"] == "firing" and body["truncatedAlerts"] == 0
    assert [a["labels"]["pod"] for a in body["alerts"]] == sorted(
        ["web-1", "web-2"], key=lambda p: labels_fingerprint(oom(p).labels)
    )
    first = body["alerts"][0]
    assert first["fingerprint"] == labels_fingerprint(first["labels"])
    assert first["endsAt"] == "0001-01-01T00:00:00Z" and first["startsAt"] == "2026-11-22T09:00:00Z"
    assert body["commonLabels"] == {
        "alertname": "KubePodOOMKilled",
        "namespace": "shop",
        "severity": "warning",
    }
    assert body["commonAnnotations"] == {"runbook": "oom"}
    real = json.loads((FIXTURE / "alertmanager_payload.json").read_text())
    assert set(body) == set(real) and set(first) == set(real["alerts"][0])


def test_changes_wait_for_group_interval_resolved_alerts_are_sent_once() -> None:
    route = Route(group_wait=timedelta(0), group_interval=timedelta(minutes=5))
    notifier = AlertmanagerNotifier(route)
    assert len(notifier.due([oom("web-1")], T0)) == 1
    both = [oom("web-1"), oom("web-2")]
    assert notifier.due(both, T0 + timedelta(minutes=1)) == []  # changed, but within the interval
    [update] = notifier.due(both, T0 + timedelta(minutes=5))
    assert len(update["alerts"]) == 2
    assert notifier.due(both, T0 + timedelta(minutes=10)) == []  # unchanged: nothing to say

    stopped = T0 + timedelta(minutes=11)
    assert notifier.due([oom("web-2")], stopped) == []
    [resolved] = notifier.due([oom("web-2")], T0 + timedelta(minutes=15))
    states = {a["labels"]["pod"]: (a["status"], a["endsAt"]) for a in resolved["alerts"]}
    assert states == {
        "web-1": ("resolved", go_time(stopped)),
        "web-2": ("firing", "0001-01-01T00:00:00Z"),
    }
    assert resolved["status"] == "firing"
    assert notifier.due([oom("web-2")], T0 + timedelta(minutes=20)) == []

    [last] = notifier.due([], T0 + timedelta(minutes=25))
    assert last["status"] == "resolved" and [a["status"] for a in last["alerts"]] == ["resolved"]
    assert notifier.due([], T0 + timedelta(hours=9)) == []  # the group is gone


def test_unchanged_firing_groups_repeat_and_groups_split_by_group_by() -> None:
    route = Route(group_by=("alertname", "namespace"), group_wait=timedelta(0))
    notifier = AlertmanagerNotifier(route)
    other = LabAlert(
        {"alertname": "KubePodOOMKilled", "namespace": "payments", "pod": "api-1"}, {}, T0
    )
    bodies = notifier.due([oom("web-1"), other], T0)
    assert [b["groupKey"] for b in bodies] == [
        '{}:{alertname="KubePodOOMKilled", namespace="payments"}',
        '{}:{alertname="KubePodOOMKilled", namespace="shop"}',
    ]
    assert notifier.due([oom("web-1"), other], T0 + timedelta(hours=3, minutes=59)) == []
    assert len(notifier.due([oom("web-1"), other], T0 + timedelta(hours=4))) == 2


def test_go_time_trims_the_fraction_like_go() -> None:
    assert (
        go_time(datetime(2026, 11, 22, 0, 21, 46, 746000, tzinfo=UTC)) == "2026-11-22T00:21:46.746Z"
    )
    assert go_time(T0) == "2026-11-22T09:00:00Z"
