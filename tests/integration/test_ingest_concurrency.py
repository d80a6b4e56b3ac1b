"""Concurrent deliveries on PostgreSQL: the unique constraints keep alerts and incidents single."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

from core.clock import SystemClock
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.ingest import IngestService, Outcome
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.alert import Alert
from incidents.models.incident import Incident

DELIVERIES = 50


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url, pool_size=DELIVERIES // 2)
    upgrade(engine)
    yield engine
    engine.dispose()


def alert(fingerprint: str) -> AlertIn:
    return AlertIn(
        source=Source.ALERTMANAGER,
        fingerprint=fingerprint,
        status=AlertState.FIRING,
        severity=Severity.CRITICAL,
        summary="node down",
        labels={"alertname": "NodeDown"},
        group_key='{}:{alertname="NodeDown"}',
    )


def deliver_concurrently(
    engine: Engine, batches: list[list[AlertIn]]
) -> tuple[uuid.UUID, list[Outcome]]:
    sessions = make_session_factory(engine)
    with sessions() as session:
        integration, _ = create_integration(
            session,
            IntegrationCreate(name="am", source=Source.ALERTMANAGER),
            now=SystemClock().now(),
            actor="test",
        )
        session.commit()
    service = IngestService(sessions, SystemClock())
    start = threading.Barrier(len(batches))

    def deliver(batch: list[AlertIn]) -> list[Outcome]:
        start.wait()  # every delivery begins at the same moment
        return [a.outcome for a in service.ingest(integration.id, batch).alerts]

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        outcomes = [o for result in pool.map(deliver, batches) for o in result]
    return integration.id, outcomes


def totals(engine: Engine) -> tuple[int, int, int]:
    with make_session_factory(engine)() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert)) or 0
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
        duplicates = session.scalar(select(func.coalesce(func.sum(Alert.duplicates), 0))) or 0
    return int(alerts), int(incidents), int(duplicates)


@pytest.mark.slow
def test_fifty_concurrent_deliveries_of_one_new_alert_make_one_alert_and_one_incident(
    pg_engine: Engine,
) -> None:
    _, outcomes = deliver_concurrently(pg_engine, [[alert("fp-1")] for _ in range(DELIVERIES)])
    assert Counter(outcomes) == {Outcome.CREATED: 1, Outcome.DUPLICATE: DELIVERIES - 1}
    assert totals(pg_engine) == (1, 1, DELIVERIES - 1)


@pytest.mark.slow
def test_fifty_concurrent_first_alerts_of_one_group_share_one_incident(pg_engine: Engine) -> None:
    _, outcomes = deliver_concurrently(pg_engine, [[alert(f"fp-{n}")] for n in range(DELIVERIES)])
    assert Counter(outcomes) == {Outcome.CREATED: DELIVERIES}
    assert totals(pg_engine)[:2] == (DELIVERIES, 1)
    with make_session_factory(pg_engine)() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.alert_count == incident.open_alert_count == DELIVERIES  # no lost updates
