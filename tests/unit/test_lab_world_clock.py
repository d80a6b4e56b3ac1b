"""The lab clock: advancing moves metrics, logs, heartbeats and the age of events."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from lab.kube.store import KubeStore
from lab.world.metrics_port import WorldMetrics
from lab.world.processes import LOG_WINDOW
from lab.world.world import LAB_EPOCH, World


def log_of(kube: KubeStore, namespace: str, app: str) -> tuple[str, str, str]:
    pod = kube.list("pods", namespace, label_selector=f"app={app}")[0]
    return namespace, pod["metadata"]["name"], pod["spec"]["containers"][0]["name"]


def test_a_fresh_world_has_an_hour_of_logs_up_to_the_epoch() -> None:
    world = World.build(7)
    assert world.now() == LAB_EPOCH
    key = log_of(world.kube, "payments", "api")
    assert world.kube.read_log(*key, since=LAB_EPOCH - LOG_WINDOW).count("\n") > 100
    assert world.kube.read_log(*key, since=LAB_EPOCH) == ""


def test_advancing_moves_metrics_logs_and_heartbeats() -> None:
    world = World.build(7)
    port = WorldMetrics(world)
    before = asyncio.run(port.query('node_cpu_usage_ratio{node="k8s-worker-01"}'))
    key = log_of(world.kube, "shop", "frontend")
    world.advance(timedelta(minutes=30))
    assert world.now() == LAB_EPOCH + timedelta(minutes=30)
    after = asyncio.run(port.query('node_cpu_usage_ratio{node="k8s-worker-01"}'))
    assert after[0].at == world.now() and after[0].value != before[0].value
    new_lines = world.kube.read_log(*key, since=LAB_EPOCH, timestamps=True).splitlines()
    assert len(new_lines) > 100
    assert all(line.startswith("2026-11-16T10:") for line in new_lines)
    node = world.kube.get("nodes", "k8s-worker-01")
    assert {c["lastHeartbeatTime"] for c in node["status"]["conditions"]} == {
        "2026-11-16T10:30:00Z"
    }


def test_events_age_and_expire_after_an_hour() -> None:
    world = World.build(7)
    assert len(world.kube.list("events", "shop")) > 10
    pod = world.kube.list("pods", "payments")[0]
    world.kube.record_event(pod, reason="BackOff", message="Back-off", type_="Warning")
    world.advance(timedelta(minutes=45))  # the rollout's events are now more than an hour old
    names = [e["metadata"]["name"] for e in world.kube.list("events")]
    assert names == [f"{pod['metadata']['name']}.backoff"]
    world.advance(timedelta(minutes=20))
    assert world.kube.list("events") == []


def test_logs_do_not_depend_on_how_time_was_advanced() -> None:
    once, twice = World.build(7), World.build(7)
    once.advance(timedelta(minutes=40))
    twice.advance(timedelta(minutes=15))
    twice.advance(timedelta(minutes=25))
    key = log_of(once.kube, "kube-system", "coredns")
    assert once.kube.read_log(*key, timestamps=True) == twice.kube.read_log(*key, timestamps=True)


def test_a_long_jump_writes_only_the_last_hour_of_logs() -> None:
    world = World.build(7)
    key = log_of(world.kube, "payments", "worker")
    world.advance(timedelta(days=2))
    gap = world.kube.read_log(*key, since=LAB_EPOCH, timestamps=True).splitlines()
    assert gap and min(gap) >= (world.now() - LOG_WINDOW).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_world_may_start_before_the_epoch_with_the_same_estate() -> None:
    early = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    assert early.now() == LAB_EPOCH - timedelta(minutes=30)
    on_time = World.build(7)
    names = sorted(p["metadata"]["name"] for p in on_time.kube.list("pods"))
    assert sorted(p["metadata"]["name"] for p in early.kube.list("pods")) == names
    key = log_of(early.kube, "payments", "api")
    assert early.kube.read_log(*key, since=early.now()) == ""
    early.advance(timedelta(minutes=30))
    assert early.now() == LAB_EPOCH
    assert early.kube.read_log(*key, since=LAB_EPOCH - timedelta(minutes=1)) != ""
    series = early.metrics.all()[0]
    assert early.metrics.value(series, LAB_EPOCH) == on_time.metrics.value(series, LAB_EPOCH)
    with pytest.raises(ValueError, match="start must lie within"):
        World.build(7, start=LAB_EPOCH + timedelta(minutes=1))
