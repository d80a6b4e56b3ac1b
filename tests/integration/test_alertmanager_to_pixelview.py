"""A real Prometheus rule fires: Alertmanager opens an incident in PixelView, then resolves it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlmodel import col

from api.app import create_app
from core.clock import SystemClock
from core.db.engine import make_session_factory
from core.metrics import Metrics
from core.settings import Settings
from incidents.alerts.schema import Source
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.incident import Incident
from lab.servers.prometheus import GaugeTarget, prometheus_lab

RULES = """\
groups:
  - name: lab
    rules:
      - alert: ShopErrorsHigh
        expr: lab_fault_active > 0
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: "shop error rate high on {{ $labels.service }}"
"""


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def wait_until(check: Callable[[], Incident | None], timeout_s: float) -> Incident:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.2)
    pytest.fail(f"condition not met within {timeout_s}s")


@pytest.mark.slow
def test_prometheus_alert_opens_then_resolves_an_incident(engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(engine)
    with sessions() as session:
        integration, token = create_integration(
            session,
            IntegrationCreate(name="prometheus", source=Source.ALERTMANAGER),
            now=SystemClock().now(),
            actor="test",
        )
        session.commit()
    app = create_app(Settings(), engine=engine, metrics=Metrics("test"), version="test")

    def incident(status: str) -> Callable[[], Incident | None]:
        def check() -> Incident | None:
            with sessions() as session:
                return session.scalars(
                    select(Incident).where(
                        col(Incident.integration_id) == integration.id,
                        col(Incident.status) == status,
                    )
                ).first()

        return check

    with served(app) as base_url, GaugeTarget() as target:
        target.set("lab_fault_active", 1, labels={"service": "shop"})
        with prometheus_lab(
            workdir=tmp_path,
            webhook_url=f"{base_url}/api/v1/integrations/{token}/alertmanager",
            scrape_target=target.address,
            rules=RULES,
            scrape_interval_s=0.5,
            evaluation_interval_s=0.5,
            group_wait_s=0.2,
            group_interval_s=0.5,
        ):
            opened = wait_until(incident("triggered"), timeout_s=60)
            assert opened.title == "shop error rate high on shop"
            assert opened.severity == "critical" and opened.labels["service"] == "shop"
            assert opened.group_key == 'group:{}:{alertname="ShopErrorsHigh"}'

            target.set("lab_fault_active", 0, labels={"service": "shop"})
            resolved = wait_until(incident("resolved"), timeout_s=60)
    assert resolved.id == opened.id
    assert resolved.resolved_by == f"integration:{integration.id}"
