"""The composition root's worker: batch sizes from the settings, notifiers closed on shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from connectors.notify.models import Message, Receipt
from core.settings import DatabaseSettings, NotifySettings, Settings, SlackSettings, WorkerSettings
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.escalation.policies import RoutingRuleCreate, create_policy, create_rule
from incidents.escalation.policy import PolicySpec
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.people import Role
from incidents.notifications.outbox import DELIVER_JOB
from incidents.notifications.sender import Notifiers
from incidents.people import UserCreate, create_user
from pixelview.container import Container


@dataclass
class Closable:
    """A notifier that sends nothing and counts how often it was closed."""

    closed: int = 0

    def send(self, target: Any, message: Message) -> Receipt:
        return Receipt(channel=target.kind, target=target.label(), provider_id=message.title)

    def close(self) -> None:
        self.closed += 1


def test_worker_batches_as_configured_and_close_releases_the_notifiers(tmp_path: Path) -> None:
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'pv.db'}"),
        worker=WorkerSettings(escalation_batch=3, delivery_batch=7),
        notify=NotifySettings(send_concurrency=2),
    )
    container = Container.build(settings)
    container.upgrade_database()
    email, webhook = Closable(), Closable()
    container.register_handlers(Notifiers(email=email, webhook=webhook))
    worker = container.worker()
    assert [(kind, size) for kind, _, size in container.handlers.batches()] == [(DELIVER_JOB, 7)]

    now = container.clock.now()
    with container.sessions() as session:
        ada, _ = create_user(
            session,
            UserCreate(name="Ada", email="ada@example.com", role=Role.RESPONDER),
            now=now,
            actor="t",
        )
        policy = create_policy(
            session,
            PolicySpec.model_validate(
                {"name": "p", "steps": [{"type": "notify_users", "users": [str(ada.id)]}]}
            ),
            now=now,
            actor="t",
        )
        create_rule(
            session,
            RoutingRuleCreate(name="all", position=0, policy_id=policy.id),
            now=now,
            actor="t",
        )
        integration, _ = create_integration(
            session, IntegrationCreate(name="g", source=Source.GENERIC), now=now, actor="t"
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
        for n in range(4)
    ]
    IngestService(container.sessions, container.clock, triage=False).ingest(integration.id, alerts)
    assert worker.poll() == 3  # one tick: escalation_batch steps
    assert worker.poll() == 1
    assert worker.run_once() == 4  # the four e-mails, in one batch

    container.close()
    assert (email.closed, webhook.closed) == (1, 1)


def test_the_slack_jobs_are_registered_when_the_bot_is_on(tmp_path: Path) -> None:
    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'pv.db'}")
    off = Container.build(Settings(database=database))
    off.register_handlers(Notifiers())
    assert not [kind for kind in off.handlers.kinds() if kind.startswith("slack.")]
    off.close()
    slack = SlackSettings(
        mode="socket", bot_token=SecretStr("xoxb-1"), app_token=SecretStr("xapp-1")
    )
    on = Container.build(Settings(database=database, slack=slack))
    on.register_handlers(Notifiers())
    assert [kind for kind in on.handlers.kinds() if kind.startswith("slack.")] == [
        "slack.post_incident",
        "slack.post_triage",
        "slack.update_incident",
    ]
    on.close()
