"""The demo's lab run: faults on a schedule against a lab clock tied to the real one."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidRequest
from inventory.sync import read_cluster
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault

NOW = datetime(2026, 12, 4, 18, 30, 12, 345000, tzinfo=UTC)
OOM = ScheduledFault(
    "k8s.oom_kill", {"namespace": "payments", "deployment": "api"}, at=timedelta(minutes=-20)
)


def test_a_fault_scheduled_before_the_start_is_in_progress_and_alerting_at_once() -> None:
    run = LabRun.start(seed=7, now=NOW, schedule=[OOM], route=Route(group_wait=timedelta(0)))
    started = NOW.replace(microsecond=0)
    assert run.started == started and run.world.now() == started
    [record] = run.world.faults
    assert record.name == "k8s.oom_kill" and record.at == started - timedelta(minutes=20)
    injected, bodies = run.step(NOW)
    assert injected == []
    [body] = bodies
    assert body["groupLabels"] == {"alertname": "KubePodCrashLooping"}
    assert {a["labels"]["namespace"] for a in body["alerts"]} == {"payments"}
    for alert in body["alerts"]:  # real times: they started within the last five minutes
        starts = datetime.fromisoformat(alert["startsAt"].replace("Z", "+00:00"))
        assert started - timedelta(minutes=5) <= starts <= started


def test_bodies_wait_for_group_wait_then_repeat_only_on_change() -> None:
    run = LabRun.start(seed=7, now=NOW, schedule=[OOM], route=Route())
    assert run.step(NOW)[1] == []  # group_wait (30 s) has not passed
    assert len(run.step(NOW + timedelta(seconds=31))[1]) == 1
    assert run.step(NOW + timedelta(seconds=60))[1] == []


def test_a_later_fault_is_injected_when_lab_time_reaches_it() -> None:
    later = ScheduledFault(
        "vsphere.datastore_full", {"datastore": "par1-nfs-01"}, at=timedelta(seconds=90)
    )
    run = LabRun.start(seed=7, now=NOW, schedule=[later, OOM])
    assert [f.name for f in run.world.faults] == ["k8s.oom_kill"]
    assert run.step(NOW + timedelta(seconds=89))[0] == []
    [record] = run.step(NOW + timedelta(seconds=95))[0]
    assert record.name == "vsphere.datastore_full"
    assert record.at == run.started + timedelta(seconds=90)
    assert run.pending == []


def test_a_fault_without_a_target_hits_its_default_one() -> None:
    run = LabRun.start(seed=7, now=NOW, schedule=[ScheduledFault("vsphere.host_down")])
    [record] = run.world.faults
    assert record.target == {"host": run.world.vsphere.vm("k8s-worker-02").host}


def test_speed_runs_lab_time_faster_than_the_clock() -> None:
    run = LabRun.start(seed=7, now=NOW, speed=6)
    assert run.lab_time(run.started + timedelta(seconds=10)) == run.started + timedelta(minutes=1)
    run.step(run.started + timedelta(seconds=10))
    assert run.world.now() == run.started + timedelta(minutes=1)


def test_a_healthy_lab_sends_nothing() -> None:
    run = LabRun.start(seed=7, now=NOW, route=Route(group_wait=timedelta(0)))
    for seconds in (0, 60, 600):
        assert run.step(NOW + timedelta(seconds=seconds)) == ([], [])


def test_the_kubernetes_port_reads_the_running_world() -> None:
    run = LabRun.start(seed=7, now=NOW, schedule=[OOM])
    pods = asyncio.run(run.kubernetes().list_pods(namespace="payments", selector="app=api"))
    assert pods and all(p.statuses[0].restart_count >= 1 for p in pods)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ([ScheduledFault("k8s.nope")], "faults[0]: unknown fault 'k8s.nope'"),
        (
            [OOM, ScheduledFault("k8s.oom_kill", at=timedelta(days=-2))],
            "faults[1] (k8s.oom_kill): at_s -172800 is earlier than the lab reaches back (-86400)",
        ),
    ],
)
def test_bad_schedules_are_refused_naming_the_entry(
    schedule: list[ScheduledFault], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=re.escape(message)):
        LabRun.start(seed=7, now=NOW, schedule=schedule)


def test_the_same_seed_and_faults_give_byte_identical_inventory_and_series() -> None:
    host_down = ScheduledFault(
        "vsphere.host_down", {"host": "esx-par1-a01.lab.internal"}, at=timedelta(minutes=1)
    )

    def observe(run: LabRun) -> tuple[str, list[float]]:
        observed = asyncio.run(read_cluster(run.kubernetes()))
        inventory = json.dumps([dataclasses.asdict(o) for o in observed], sort_keys=True)
        instants = [run.started + timedelta(minutes=m) for m in (-40, -5, 0, 10, 25)]
        values = [
            run.world.metrics.value(s, at) for s in run.world.metrics.all() for at in instants
        ]
        return inventory, values

    seen = []
    for _ in range(2):
        run = LabRun.start(seed=7, now=NOW, schedule=[OOM, host_down])
        run.step(NOW + timedelta(minutes=25))
        seen.append(observe(run))
    assert seen[0] == seen[1]
    healthy = LabRun.start(seed=7, now=NOW)
    healthy.step(NOW + timedelta(minutes=25))
    assert observe(healthy)[0] != seen[0][0]
