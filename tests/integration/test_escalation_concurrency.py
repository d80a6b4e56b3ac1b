"""Three escalation workers on PostgreSQL, 1,000 escalating incidents: no step twice or skipped."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from core.clock import ManualClock
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.escalation.policies import RoutingRuleCreate, create_policy, create_rule
from incidents.escalation.policy import PolicySpec
from incidents.escalation.service import Escalator
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.escalation import Escalation
from incidents.models.incident import TimelineEntry, TimelineKind
from incidents.models.notification import Delivery
from incidents.models.people import Role
from incidents.notifications.outbox import RateLimit
from incidents.people import UserCreate, create_user

INCIDENTS = 1_000
WORKERS = 3
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    yield postgres_url


def drain(escalators: list[Escalator]) -> Counter[int]:
    """Run every escalator on its own thread until none finds a due step; count ticks per worker."""
    moved: Counter[int] = Counter()
    start = threading.Barrier(len(escalators))

    def run(index: int, escalator: Escalator) -> None:
        start.wait()
        while (n := escalator.tick()) > 0:
            moved[index] += n

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(escalators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return moved


@pytest.mark.slow
def test_three_workers_run_each_step_of_1000_escalations_exactly_once(pg_url: str) -> None:
    engine: Engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    clock = ManualClock(T0)
    with sessions() as session:
        ada, _ = create_user(
            session,
            UserCreate(name="Ada", email="ada@example.com", role=Role.RESPONDER),
            now=T0,
            actor="t",
        )
        bob, _ = create_user(
            session,
            UserCreate(name="Bob", email="bob@example.com", role=Role.RESPONDER),
            now=T0,
            actor="t",
        )
        policy = create_policy(
            session,
            PolicySpec.model_validate(
                {
                    "name": "p",
                    "escalate_low_urgency": True,
                    "steps": [
                        {"type": "notify_users", "users": [str(ada.id)]},
                        {"type": "wait", "minutes": 1},
                        {"type": "notify_users", "users": [str(bob.id)]},
                    ],
                }
            ),
            now=T0,
            actor="t",
        )
        create_rule(
            session,
            RoutingRuleCreate(name="all", position=0, policy_id=policy.id),
            now=T0,
            actor="t",
        )
        integration, _ = create_integration(
            session, IntegrationCreate(name="g", source=Source.GENERIC), now=T0, actor="t"
        )
        session.commit()
    alerts = [
        AlertIn(
            source=Source.GENERIC,
            fingerprint=f"a{n}",
            status=AlertState.FIRING,
            severity=Severity.CRITICAL,
            summary=f"a{n}",
        )
        for n in range(INCIDENTS)
    ]
    IngestService(sessions, clock).ingest(integration.id, alerts)

    engines = [make_engine(pg_url) for _ in range(WORKERS)]
    escalators = [
        Escalator(make_session_factory(e), clock, rate_limit=RateLimit(count=10_000), batch=20)
        for e in engines
    ]
    first = drain(escalators)
    clock.advance(timedelta(minutes=1))
    second = drain(escalators)
    for e in [*engines, engine]:
        e.dispose()

    assert sum(first.values()) == sum(second.values()) == INCIDENTS
    assert len(first) == WORKERS  # every worker took part
    engine = make_engine(pg_url)
    with make_session_factory(engine)() as session:
        pages = Counter(
            session.scalars(
                select(col(TimelineEntry.incident_id)).where(
                    col(TimelineEntry.kind) == TimelineKind.ESCALATION,
                    col(TimelineEntry.summary).startswith("paging"),
                )
            )
        )
        finished = Counter(
            session.scalars(
                select(col(TimelineEntry.incident_id)).where(
                    col(TimelineEntry.summary) == "escalation policy finished"
                )
            )
        )
        statuses = Counter(session.scalars(select(col(Escalation.status))))
        deliveries = Counter(session.scalars(select(col(Delivery.incident_id))))
    engine.dispose()
    assert len(pages) == INCIDENTS and set(pages.values()) == {2}  # each step once: Ada, then Bob
    assert len(finished) == INCIDENTS and set(finished.values()) == {1}
    assert statuses == {"done": INCIDENTS}
    assert len(deliveries) == INCIDENTS and set(deliveries.values()) == {2}
