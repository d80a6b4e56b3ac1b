"""An inventory object's health, judged from its short status."""

from __future__ import annotations

import importlib

import pytest

from inventory.health import Health, health_of

CASES = {
    "Running": Health.OK,
    "Succeeded": Health.OK,
    "CrashLoopBackOff": Health.BAD,
    "ImagePullBackOff": Health.BAD,
    "OOMKilled": Health.BAD,
    "Pending": Health.WARN,
    "ContainerCreating": Health.WARN,
    "Ready": Health.OK,
    "NotReady,SchedulingDisabled": Health.BAD,
    "Ready,SchedulingDisabled": Health.WARN,
    "3/3 ready": Health.OK,
    "1/3 ready": Health.WARN,
    "0/2 ready": Health.BAD,
    "0/0 ready": Health.OK,  # scaled to zero on purpose
}


@pytest.mark.parametrize(("status", "expected"), CASES.items(), ids=list(CASES))
def test_health_is_judged_from_the_status(status: str, expected: Health) -> None:
    assert health_of(status) is expected


def test_the_migration_judges_existing_rows_by_the_same_rules() -> None:
    migration = importlib.import_module("core.migrations.versions.0009_inventory_health")
    assert {s: migration._judged(s) for s in CASES} == {s: h.value for s, h in CASES.items()}
