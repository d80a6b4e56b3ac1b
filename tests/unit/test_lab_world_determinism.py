"""The world is a function of its seed: same seed, same bytes; another seed, another estate."""

from __future__ import annotations

from datetime import timedelta

from lab.world.dump import dump
from lab.world.world import LAB_EPOCH, World

INSTANTS = [LAB_EPOCH - timedelta(days=d, minutes=7 * d) for d in (0, 1, 3, 9)]


def series_values(world: World) -> list[float]:
    return [world.metrics.value(s, at) for s in world.metrics.all() for at in INSTANTS]


def test_same_seed_builds_byte_identical_estate_logs_and_series() -> None:
    first, second = World.build(7), World.build(7)
    assert dump(first) == dump(second)
    assert series_values(first) == series_values(second)


def test_same_seed_stays_identical_after_the_same_advances() -> None:
    first, second = World.build(7), World.build(7)
    for world in (first, second):
        world.advance(timedelta(minutes=20))
        world.advance(timedelta(hours=2))
    assert dump(first) == dump(second)


def test_another_seed_gives_other_names_and_other_noise() -> None:
    seven, eight = World.build(7), World.build(8)
    assert dump(seven) != dump(eight)
    pods_7 = {p["metadata"]["name"] for p in seven.kube.list("pods")}
    pods_8 = {p["metadata"]["name"] for p in eight.kube.list("pods")}
    assert pods_7.isdisjoint(pods_8)
    name = "vsphere_vm_cpu_ready_ratio"
    vm = "k8s-worker-01"
    assert seven.metrics.current(name, LAB_EPOCH, vm=vm) != eight.metrics.current(
        name, LAB_EPOCH, vm=vm
    )


def test_a_value_does_not_depend_on_the_order_of_queries() -> None:
    world = World.build(7)
    series = world.metrics.all()
    forward = {(s.key, at): world.metrics.value(s, at) for s in series for at in INSTANTS}
    backward = {
        (s.key, at): world.metrics.value(s, at)
        for s in reversed(series)
        for at in reversed(INSTANTS)
    }
    assert forward == backward
