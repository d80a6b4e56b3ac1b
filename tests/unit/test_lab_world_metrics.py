"""Metric series: seasonality, physical bounds, the step grid, overlays, selectors."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from statistics import mean

import pytest

from core.errors import InvalidRequest
from lab.world.metrics.overlays import Add, CrashLoopRestarts, Hold, Overlay, Ramp
from lab.world.metrics.series import SCRAPE_INTERVAL
from lab.world.metrics_port import WorldMetrics
from lab.world.world import LAB_EPOCH, World

WEEK_AGO = LAB_EPOCH - timedelta(days=7)


@pytest.fixture(scope="module")
def world() -> World:
    return World.build(7)


def test_daytime_load_exceeds_night_load_and_weekends_are_quieter(world: World) -> None:
    series = world.metrics.select("vsphere_host_cpu_usage_ratio")
    assert len(series) == len(world.vsphere.hosts)
    host = series[0]
    hours = [WEEK_AGO + timedelta(hours=h) for h in range(7 * 24)]
    weekday = [t for t in hours if t.weekday() < 5]
    day = [world.metrics.value(host, t) for t in weekday if 10 <= t.hour < 18]
    night = [world.metrics.value(host, t) for t in weekday if t.hour < 6]
    assert mean(day) > mean(night) * 1.3
    afternoon = [t for t in hours if 12 <= t.hour < 16]
    work = [world.metrics.value(host, t) for t in afternoon if t.weekday() < 5]
    rest = [world.metrics.value(host, t) for t in afternoon if t.weekday() >= 5]
    assert mean(work) > mean(rest)


def test_values_stay_within_physical_bounds(world: World) -> None:
    instants = [WEEK_AGO + timedelta(hours=5 * k, minutes=13 * k) for k in range(34)]
    capacity = {
        s.labels["datastore"]: world.metrics.value(s, LAB_EPOCH)
        for s in world.metrics.select("vsphere_datastore_capacity_bytes")
    }
    for series in world.metrics.all():
        values = [world.metrics.value(series, t) for t in instants]
        if series.name.endswith("_ratio"):
            assert all(0.0 <= v <= 1.0 for v in values), series.key
        assert all(v >= 0 for v in values), series.key
        if series.name == "vsphere_datastore_free_bytes":
            assert all(v <= capacity[series.labels["datastore"]] for v in values)
        if series.name == "container_memory_working_set_bytes":
            limit = world.metrics.current(
                "kube_pod_container_resource_limits",
                LAB_EPOCH,
                pod=series.labels["pod"],
                resource="memory",
            )
            assert limit is not None and all(v <= limit for v in values)


def test_query_range_returns_the_step_grid_and_nothing_after_now(world: World) -> None:
    port = WorldMetrics(world)
    start = LAB_EPOCH - timedelta(hours=6)
    matrix = asyncio.run(
        port.query_range(
            'node_cpu_usage_ratio{node=~"k8s-worker-0[12]"}',
            start=start,
            end=LAB_EPOCH + timedelta(hours=1),
            step=timedelta(minutes=5),
        )
    )
    assert [s.labels["node"] for s in matrix] == ["k8s-worker-01", "k8s-worker-02"]
    grid = [start + timedelta(minutes=5 * k) for k in range(6 * 12 + 1)]
    assert all([p.at for p in s.points] == grid for s in matrix)
    assert (
        asyncio.run(port.query("node_cpu_usage_ratio", at=LAB_EPOCH + timedelta(minutes=1))) == []
    )


def test_samples_sit_on_the_scrape_grid(world: World) -> None:
    series = world.metrics.select("vsphere_vm_cpu_ready_ratio")[0]
    at = LAB_EPOCH - timedelta(hours=1)
    within = [world.metrics.value(series, at + timedelta(seconds=s)) for s in range(0, 15, 4)]
    assert len(set(within)) == 1
    assert world.metrics.value(series, at + SCRAPE_INTERVAL) != within[0]


def test_overlays_shift_a_series_from_their_start_only() -> None:
    world = World.build(7)
    match = {"__name__": "vsphere_datastore_free_bytes"}
    ds = world.vsphere.datastores[0].name
    start = LAB_EPOCH - timedelta(minutes=30)
    before = world.metrics.current(match["__name__"], start - timedelta(minutes=1), datastore=ds)
    hit = world.metrics.overlay(Overlay({**match, "datastore": ds}, start, Hold(0.0)))
    assert hit == 1
    assert world.metrics.current(match["__name__"], LAB_EPOCH, datastore=ds) == 0.0
    after = world.metrics.current(match["__name__"], start - timedelta(minutes=1), datastore=ds)
    assert after == before

    pod = world.kube.list("pods", "payments", label_selector="app=api")[0]["metadata"]["name"]
    memory = {"__name__": "container_memory_working_set_bytes", "pod": pod}
    limit = world.metrics.current(
        "kube_pod_container_resource_limits", LAB_EPOCH, pod=pod, resource="memory"
    )
    assert limit is not None
    world.metrics.overlay(Overlay(memory, start, Ramp(limit, timedelta(minutes=20))))
    assert world.metrics.current(memory["__name__"], LAB_EPOCH, pod=pod) == limit
    world.metrics.overlay(Overlay(memory, start, Add(limit)))
    assert world.metrics.current(memory["__name__"], LAB_EPOCH, pod=pod) == limit  # clamped

    restarts = {"__name__": "kube_pod_container_status_restarts_total", "pod": pod}
    base = world.metrics.current(restarts["__name__"], LAB_EPOCH, pod=pod)
    world.metrics.overlay(Overlay(restarts, start, CrashLoopRestarts()))
    counted = world.metrics.current(restarts["__name__"], LAB_EPOCH, pod=pod)
    assert base is not None and counted is not None and 6 <= counted - base <= 10


def test_selectors_and_series_listing(world: World) -> None:
    port = WorldMetrics(world)
    found = asyncio.run(port.series(['{__name__=~"vsphere_datastore_.*",datastore!=""}']))
    assert len(found) == 2 * len(world.vsphere.datastores)
    samples = asyncio.run(port.query('openstack_instance_cpu_usage_ratio{project="analytics"}'))
    assert {s.labels["instance"] for s in samples} == {
        s.name for s in world.openstack.servers if s.role == "analytics"
    }
    assert all(s.at == world.now() for s in samples)
    with pytest.raises(InvalidRequest, match="vector selectors only"):
        asyncio.run(port.query("sum(rate(container_cpu_usage_cores[5m]))"))
    with pytest.raises(InvalidRequest, match="step"):
        asyncio.run(
            port.query_range("up", start=WEEK_AGO, end=LAB_EPOCH, step=timedelta(seconds=1))
        )
