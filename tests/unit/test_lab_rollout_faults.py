"""Faults that arrive with a rollout stall it as Kubernetes does; the right fix unsticks it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lab.faults.catalog import apply_fault
from lab.kube.store import JsonObject
from lab.world.alerts import firing_alerts
from lab.world.metrics_port import WorldMetrics
from lab.world.stackstorm_port import WorldStackStorm
from lab.world.world import LAB_EPOCH, World

CART = {"namespace": "shop", "deployment": "cart"}
LEDGER = {"namespace": "payments", "deployment": "ledger"}


def faulty(name: str, target: dict[str, str]) -> World:
    world = World.build(7, start=LAB_EPOCH - timedelta(minutes=30))
    apply_fault(world, name, target)
    world.advance(timedelta(minutes=30))
    return world


def pods(world: World, target: dict[str, str]) -> list[JsonObject]:
    return world.kube.list(
        "pods", target["namespace"], label_selector=f"app={target['deployment']}"
    )


def conditions(world: World, target: dict[str, str]) -> dict[str, str]:
    deploy = world.kube.get("deployments", target["deployment"], target["namespace"])
    return {c["type"]: c["reason"] for c in deploy["status"]["conditions"]}


def test_an_unpullable_image_stalls_the_rollout_with_one_pending_pod() -> None:
    world = faulty("k8s.image_pull", CART)
    phases = sorted(p["status"]["phase"] for p in pods(world, CART))
    assert phases == ["Pending", "Running", "Running"]  # the surge pod waits, the old ones serve
    pending = next(p for p in pods(world, CART) if p["status"]["phase"] == "Pending")
    status = pending["status"]["containerStatuses"][0]
    assert status["state"]["waiting"]["reason"] in ("ErrImagePull", "ImagePullBackOff")
    assert not status["started"] and "containerID" not in status
    failed = world.kube.get("events", f"{pending['metadata']['name']}.failed", "shop")
    assert failed["type"] == "Warning" and ": not found" in failed["message"]
    assert conditions(world, CART) == {
        "Available": "MinimumReplicasAvailable",
        "Progressing": "ProgressDeadlineExceeded",
    }
    endpoints = world.kube.get("endpoints", "cart", "shop")
    assert len(endpoints["subsets"][0]["addresses"]) == 2
    name = pending["metadata"]["name"]
    port = WorldMetrics(world)
    assert asyncio.run(port.query(f'container_memory_working_set_bytes{{pod="{name}"}}')) == []
    alerts = {(a.labels["alertname"], a.labels["pod"]) for a in firing_alerts(world)}
    assert alerts == {("KubePodNotReady", name)}


def test_undoing_the_rollout_clears_the_unpullable_image() -> None:
    world = faulty("k8s.image_pull", CART)
    execution = asyncio.run(WorldStackStorm(world).run_action("kubernetes.rollout_undo", CART))
    assert execution.status == "succeeded"
    assert [p["status"]["phase"] for p in pods(world, CART)] == ["Running", "Running"]
    world.advance(timedelta(minutes=20))
    assert conditions(world, CART)["Progressing"] == "NewReplicaSetAvailable"
    assert firing_alerts(world) == []


def test_a_bad_config_value_crash_loops_the_new_pod_and_says_why() -> None:
    world = faulty("k8s.crashloop_bad_config", LEDGER)
    config = world.kube.get("configmaps", "ledger-config", "payments")["data"]
    assert config["DATABASE_URL"].startswith("postgresql:/ledger@")
    failing = [
        p for p in pods(world, LEDGER) if p["status"]["containerStatuses"][0]["restartCount"]
    ]
    assert len(failing) == 1
    status = failing[0]["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["reason"] == "Error"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    previous = world.kube.read_log(
        "payments", failing[0]["metadata"]["name"], "ledger", previous=True
    )
    assert '"msg":"invalid configuration","key":"DATABASE_URL"' in previous
    assert conditions(world, LEDGER)["Progressing"] == "ProgressDeadlineExceeded"
    assert {a.labels["alertname"] for a in firing_alerts(world)} == {"KubePodCrashLooping"}


def test_an_undo_hides_a_bad_configmap_until_the_next_restart_and_setting_it_fixes_it() -> None:
    world = faulty("k8s.crashloop_bad_config", LEDGER)
    st2 = WorldStackStorm(world)
    asyncio.run(st2.run_action("kubernetes.rollout_undo", LEDGER))
    world.advance(timedelta(minutes=5))
    restarts = [p["status"]["containerStatuses"][0]["restartCount"] for p in pods(world, LEDGER)]
    assert restarts == [0, 0]  # the old pods kept the environment they started with
    asyncio.run(st2.run_action("kubernetes.rollout_restart", LEDGER))
    world.advance(timedelta(minutes=5))
    restarts = [p["status"]["containerStatuses"][0]["restartCount"] for p in pods(world, LEDGER)]
    assert max(restarts) > 0  # the ConfigMap is not versioned with the Deployment
    good = "postgresql://ledger@db-payments-02.lab.internal:5432/ledger"
    execution = asyncio.run(
        st2.run_action(
            "kubernetes.set_config_value",
            {
                "namespace": "payments",
                "configmap": "ledger-config",
                "key": "DATABASE_URL",
                "value": good,
            },
        )
    )
    assert execution.result["restarted"] == ["payments/ledger"]
    world.advance(timedelta(minutes=20))
    restarts = [p["status"]["containerStatuses"][0]["restartCount"] for p in pods(world, LEDGER)]
    assert restarts == [0, 0]
    assert conditions(world, LEDGER)["Progressing"] == "NewReplicaSetAvailable"
    assert firing_alerts(world) == []
