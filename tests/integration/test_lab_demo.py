"""The demo's wiring: the lab posts its alerts to a lab integration and its cluster is synced."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from sqlmodel import select

from core.clock import ManualClock
from core.errors import ConfigError
from core.settings import DatabaseSettings, LabFault, LabSettings, Settings
from inventory.models import InventoryCluster
from lab.demo import LabRun
from pixelview.container import Container
from pixelview.demo import LAB_CLUSTER, LabDriver, lab_webhook_path, start_lab
from tests.integration.conftest import T0, Api

LAB = LabSettings(
    group_wait_s=0,
    faults=[
        LabFault(
            fault="k8s.oom_kill", target={"namespace": "payments", "deployment": "api"}, at_s=-1200
        )
    ],
)


@dataclass
class Demo:
    container: Container
    run: LabRun
    clock: ManualClock


@pytest.fixture
def demo(database_url: str, api: Api) -> Iterator[Demo]:
    del api  # the schema and the API over the same database
    settings = Settings(database=DatabaseSettings(url=database_url), lab=LAB)
    clock = ManualClock(T0)
    run = start_lab(settings.lab, clock)
    container = Container.build(settings, clock=clock, kubernetes={LAB_CLUSTER: run.kubernetes()})
    yield Demo(container, run, clock)
    container.close()


class Poster:
    """Posts through the test client; `down` makes it fail as an API not yet listening would."""

    def __init__(self, api: Api, path: str) -> None:
        self.api, self.path, self.down = api, path, False

    def __call__(self, body: dict[str, Any]) -> None:
        if self.down:
            raise httpx2.ConnectError("connection refused")
        response = self.api.post(self.path, body)
        if response.status_code >= 300:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text}")


def test_the_lab_opens_an_incident_through_the_webhook_and_loses_nothing_while_down(
    demo: Demo, api: Api
) -> None:
    poster = Poster(api, lab_webhook_path(demo.container, "lab-alertmanager"))
    driver = LabDriver(demo.run, poster, demo.clock, tick_s=1)

    poster.down = True
    driver.tick()
    assert driver.undelivered == 1 and api.list("/api/v1/incidents")["items"] == []
    poster.down = False
    demo.clock.advance(timedelta(seconds=5))
    driver.tick()
    assert driver.undelivered == 0
    [incident] = api.list("/api/v1/incidents")["items"]
    alerts = api.list("/api/v1/alerts", incident_id=incident["id"])["items"]
    assert {a["labels"]["alertname"] for a in alerts} == {"KubePodCrashLooping"}
    assert {a["labels"]["namespace"] for a in alerts} == {"payments"}
    assert incident["alert_count"] == len(alerts) >= 1


def test_each_start_rotates_the_lab_token_and_refuses_another_sources_name(
    demo: Demo, api: Api
) -> None:
    container = demo.container
    first = lab_webhook_path(container, "lab-alertmanager")
    second = lab_webhook_path(container, "lab-alertmanager")
    assert first != second
    body = {"version": "4", "status": "firing", "alerts": []}
    assert api.post(first, body).status_code in (401, 404)
    _, zabbix_path = api.integration("zabbix", name="monitoring")
    assert zabbix_path
    with pytest.raises(ConfigError, match="'monitoring' is a zabbix integration"):
        lab_webhook_path(container, "monitoring")


def test_the_inventory_syncs_the_lab_cluster(demo: Demo) -> None:
    container = demo.container
    worker = container.worker()
    assert worker.poll() == 1 and worker.run_once() == 1
    with container.sessions() as session:
        [cluster] = session.exec(select(InventoryCluster)).all()
    assert cluster.name == LAB_CLUSTER
    assert cluster.counts["Node"] == 7 and cluster.counts["Pod"] > 20


def test_an_unknown_fault_in_settings_is_a_config_error_naming_it() -> None:
    settings = LabSettings(faults=[LabFault(fault="k8s.oops")])
    with pytest.raises(ConfigError, match=r"lab\.faults\[0\]: unknown fault 'k8s.oops'"):
        start_lab(settings, ManualClock(T0))
