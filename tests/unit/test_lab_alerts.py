"""The lab's monitoring: alerts follow from the series, so they agree with what agents read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lab.faults.catalog import apply_fault
from lab.world.alerts import alertmanager_payload, firing_alerts
from lab.world.remediations import host_reconnect
from lab.world.world import LAB_EPOCH, World


@pytest.mark.parametrize("seed", [1, 2, 3, 11])
def test_other_seeds_build_healthy_estates_too(seed: int) -> None:
    world = World.build(seed)
    assert firing_alerts(world) == []
    for deploy in world.kube.list("deployments"):
        assert deploy["status"]["readyReplicas"] == deploy["spec"]["replicas"]


def test_a_healthy_estate_raises_no_alert_over_a_week() -> None:
    world = World.build(7)
    for hours in range(0, 7 * 24, 7):
        assert firing_alerts(world, LAB_EPOCH - timedelta(hours=hours)) == []


def test_an_oom_loop_raises_crash_looping_alerts_once_it_lasted_15_minutes() -> None:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    apply_fault(world, "k8s.oom_kill", {"namespace": "payments", "deployment": "api"})
    world.advance(timedelta(minutes=10))
    assert firing_alerts(world) == []  # still pending
    world.advance(timedelta(minutes=20))
    alerts = firing_alerts(world)
    pods = {
        p["metadata"]["name"] for p in world.kube.list("pods", "payments", label_selector="app=api")
    }
    assert {a.labels["pod"] for a in alerts} == pods
    assert {a.labels["alertname"] for a in alerts} == {"KubePodCrashLooping"}
    first_restart = LAB_EPOCH - timedelta(minutes=30) + timedelta(seconds=100)
    for alert in alerts:
        assert alert.labels["namespace"] == "payments" and alert.labels["container"] == "api"
        began = alert.starts_at - timedelta(minutes=15)
        assert first_restart <= began <= first_restart + timedelta(minutes=1)

    payload = alertmanager_payload(alerts)
    assert payload["version"] == "4" and payload["status"] == "firing"
    assert payload["commonLabels"] == {
        "alertname": "KubePodCrashLooping",
        "severity": "warning",
        "namespace": "payments",
        "container": "api",
    }
    assert payload["groupKey"] == '{}:{alertname="KubePodCrashLooping"}'
    assert [a["labels"]["pod"] for a in payload["alerts"]] == sorted(pods)
    assert all(a["endsAt"] == "0001-01-01T00:00:00Z" for a in payload["alerts"])


def test_host_and_datastore_alerts_fire_after_their_for_duration_and_clear_on_repair() -> None:
    world = World.build(7)
    host = world.vsphere.hosts[2].name
    ds = world.vsphere.datastores[1].name
    apply_fault(world, "vsphere.host_disconnected", {"host": host})
    apply_fault(world, "vsphere.datastore_full", {"datastore": ds}, {"fill_minutes": 10})
    world.advance(timedelta(minutes=4))
    assert firing_alerts(world) == []
    world.advance(timedelta(minutes=12))
    names = {
        (a.labels["alertname"], a.labels.get("host") or a.labels.get("datastore"))
        for a in firing_alerts(world)
    }
    assert names == {("VSphereHostDisconnected", host), ("VSphereDatastoreSpaceLow", ds)}
    host_reconnect(world, {"host": host})
    world.advance(timedelta(minutes=1))
    assert {a.labels["alertname"] for a in firing_alerts(world)} == {"VSphereDatastoreSpaceLow"}


def test_a_failed_host_and_a_disconnected_one_raise_different_alerts() -> None:
    world = World.build(7)
    failed, cut = world.vsphere.vm("k8s-worker-02").host, world.vsphere.vm("jump-01").host
    apply_fault(world, "vsphere.host_down", {"host": failed})
    apply_fault(world, "vsphere.host_disconnected", {"host": cut})
    world.advance(timedelta(minutes=6))
    hosts = {
        (a.labels["alertname"], a.labels["host"])
        for a in firing_alerts(world)
        if "host" in a.labels
    }
    assert hosts == {("VSphereHostNotResponding", failed), ("VSphereHostDisconnected", cut)}


def test_an_empty_notification_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one alert"):
        alertmanager_payload([])
