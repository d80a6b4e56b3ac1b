"""The container: builds the real objects from settings, once, at start-up."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from agents.chat import ChatLimits, ChatRunner, TurnModel
from agents.llm import ChatModel, build_chat_model, model_mode, prices_for, run_budget
from agents.remember import RememberHandler
from agents.supervisor import ModelInvestigator
from agents.triage.graph import Investigator
from agents.triage.job import TriageHandler
from agents.triage.runner import TriageRunner
from api.slack.jobs import SlackJobs
from api.slack.web import SlackWeb, web_client
from connectors.kubernetes.client import connect_all
from connectors.kubernetes.port import KubernetesPort
from connectors.notify.email.client import EmailNotifier
from connectors.notify.pagerduty.client import PagerDutyNotifier
from connectors.notify.slack.client import SlackNotifier
from connectors.notify.sms.client import SmsNotifier
from connectors.notify.webhook.client import WebhookNotifier
from connectors.prometheus.port import MetricsPort
from core.clock import Clock, SystemClock
from core.crypto import SecretBox
from core.db.engine import SessionFactory, is_sqlite, make_engine, make_session_factory
from core.db.migrate import MigrationStatus, migration_status, upgrade
from core.errors import ConfigError, PixelViewError, Unavailable
from core.jobs.queue import JobQueue, RetryPolicy
from core.jobs.retention import JobRetention
from core.jobs.worker import HandlerRegistry, Worker
from core.logs import get_logger
from core.metrics import Metrics
from core.settings import LlmSettings, Settings
from incidents.escalation.service import Escalator
from incidents.notifications.outbox import DELIVER_JOB, RateLimit
from incidents.notifications.sender import DeliverySender, Notifiers
from incidents.transitions import REMEMBER_JOB
from incidents.triage import TRIAGE_JOB
from inventory.jobs import SYNC_JOB, SyncHandler, SyncPoller
from inventory.sync import InventorySync
from memory.chroma import build_memory_store
from memory.ingest import ingest_folder
from memory.port import MemoryStore
from memory.runbooks import LIBRARY
from pixelview import __version__

log = get_logger(__name__)


def model_investigator(model: ChatModel, llm: LlmSettings) -> Investigator:
    """A triage run's supervisor over `model`, with the budget and prices of `llm`."""
    return ModelInvestigator(
        model, budget=run_budget(llm), prices=prices_for(llm, model), mode=model_mode(model)
    )


@dataclass
class Container:
    """Everything a PixelView process runs on, built from one `Settings`."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    metrics: Metrics
    handlers: HandlerRegistry = field(default_factory=HandlerRegistry)
    kubernetes: Mapping[str, KubernetesPort] = field(default_factory=dict)
    """Kubernetes ports by cluster name, whose inventory the worker syncs: the clusters of
    `kubernetes.clusters`, and the lab's cluster in the demo."""
    metrics_source: MetricsPort | None = None
    """The Prometheus the agents' metrics tool reads (the lab's in the demo)."""
    investigator: Callable[[], Investigator | None] | None = None
    """Makes each triage run's model investigator; None: from `llm` settings."""
    memory: MemoryStore | None = None
    """Runbooks and past incidents (Chroma, embedded or server, as `memory` says)."""
    _on_close: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)
    _llm: list[ChatModel | None] = field(default_factory=list, init=False, repr=False)
    _llm_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        kubernetes: Mapping[str, KubernetesPort] | None = None,
        metrics_source: MetricsPort | None = None,
        investigator: Callable[[], Investigator | None] | None = None,
    ) -> Container:
        """Create the engine and shared objects; nothing connects yet.

        Args:
            settings: Every setting.
            clock: Time for everything built here (the system clock by default).
            kubernetes: Kubernetes ports by cluster name besides the configured clusters
                (the demo's lab cluster); a name may not be both.
            metrics_source: The Prometheus the agents' metrics tool reads.
            investigator: Makes each triage run's investigator, instead of the `llm`
                settings (benchmarks and tests with a scripted model).

        Raises:
            ConfigError: a cluster's connection settings are wrong, or a name is taken twice.
        """
        clients = connect_all(settings.kubernetes.clusters)
        ports: dict[str, KubernetesPort] = dict(clients)
        for name, port in (kubernetes or {}).items():
            if name in ports:
                raise ConfigError(f"kubernetes.clusters: the name {name!r} is taken by the lab")
            ports[name] = port
        engine = make_engine(
            settings.database_url(),
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
        )
        container = cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            clock=clock or SystemClock(),
            metrics=Metrics(__version__),
            kubernetes=ports,
            metrics_source=metrics_source,
            investigator=investigator,
            memory=build_memory_store(
                settings.memory, path=settings.memory_path(), clock=clock or SystemClock()
            ),
        )
        container._on_close.extend(client.close for client in clients.values())
        return container

    @property
    def is_sqlite(self) -> bool:
        """True in the embedded mode (one writer, one worker)."""
        return is_sqlite(self.engine)

    def describe_database(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade_database(self) -> MigrationStatus:
        """Bring the schema to head, turning connection failures into one clear error."""
        try:
            before = migration_status(self.engine).current
            status = upgrade(self.engine)
        except OperationalError as e:
            raise Unavailable(
                f"cannot reach the database at {self.describe_database()}: {e.orig}"
            ) from e
        if before != status.current:
            log.info(
                "database.migrated",
                url=self.describe_database(),
                before=before,
                after=status.current,
            )
        return status

    def notifiers(self) -> Notifiers:
        """The notification channels the settings configure."""
        n = self.settings.notify
        slack = (
            SlackNotifier(
                n.slack_token.get_secret_value(), n.slack_base_url, timeout_s=int(n.timeout_s)
            )
            if n.slack_token
            else None
        )
        email = (
            EmailNotifier(
                n.smtp_host,
                n.smtp_port,
                username=n.smtp_username,
                password=n.smtp_password.get_secret_value() if n.smtp_password else None,
                starttls=n.smtp_starttls,
                sender=n.smtp_sender,
                timeout_s=n.timeout_s,
            )
            if n.smtp_host
            else None
        )
        sms = (
            SmsNotifier(
                n.sms_account_sid,
                n.sms_auth_token.get_secret_value(),
                n.sms_from,
                n.sms_base_url,
                timeout_s=n.timeout_s,
            )
            if n.sms_account_sid and n.sms_auth_token and n.sms_from
            else None
        )
        return Notifiers(
            slack=slack,
            email=email,
            sms=sms,
            pagerduty=PagerDutyNotifier(n.pagerduty_base_url, timeout_s=n.timeout_s),
            webhook=WebhookNotifier(n.timeout_s, clock=self.clock),
        )

    def secret_box(self) -> SecretBox:
        """Encrypts the secrets PixelView stores."""
        return SecretBox(self.settings.security.secret_key.get_secret_value())

    def rate_limit(self) -> RateLimit:
        """The per-person paging rate limit."""
        return RateLimit(
            self.settings.notify.rate_limit_count, self.settings.notify.rate_limit_window_s
        )

    def register_handlers(self, notifiers: Notifiers | None = None) -> None:
        """Register every job handler PixelView has; `close` releases what they hold."""
        sender = DeliverySender(
            self.sessions,
            self.clock,
            notifiers or self.notifiers(),
            self.secret_box(),
            self.settings.notify.public_url,
            send_concurrency=self.settings.notify.send_concurrency,
        )
        self.handlers.register_batch(
            DELIVER_JOB, sender.run, size=self.settings.worker.delivery_batch
        )
        self._on_close.append(sender.close)
        self.handlers.register(SYNC_JOB, SyncHandler(self.inventory()))
        self.handlers.register(
            TRIAGE_JOB, TriageHandler(self.sessions, self.clock, self.triage_runner())
        )
        if self.memory is not None:
            self.handlers.register(
                REMEMBER_JOB, RememberHandler(self.sessions, self.clock, self.memory)
            )
        if self.settings.slack.mode != "off":
            self.slack_jobs().register(self.handlers)

    def slack_jobs(self) -> SlackJobs:
        """The Slack bot's jobs: post incidents to their channels, refresh them, post triage."""
        return SlackJobs(
            self.sessions,
            self.clock,
            SlackWeb(web_client(self.settings.slack)),
            self.settings.notify.public_url,
        )

    def triage_runner(self) -> TriageRunner:
        """Investigates incidents with this container's clusters (mode `none` for now)."""
        return TriageRunner(
            sessions=self.sessions,
            database_url=self.settings.database_url(),
            clock=self.clock,
            kubernetes=self.kubernetes,
            metrics=self.metrics_source,
            memory=self.memory,
            investigator=self.investigators(),
        )

    def runbook_folder(self) -> Path:
        """The folder of runbooks: `memory.runbooks_dir`, else the library PixelView ships."""
        return self.settings.memory.runbooks_dir or LIBRARY

    def load_runbooks(self) -> None:
        """Store the runbook folder's runbooks (`memory.runbooks_dir`, else the shipped library).

        New and changed runbooks are embedded, unchanged ones skipped, runbooks gone from the
        folder removed. A store that cannot be reached is logged, not fatal: triage then cites
        nothing until it can.
        """
        if self.memory is None:
            return
        folder = self.runbook_folder()
        try:
            done = asyncio.run(ingest_folder(self.memory, folder))
        except PixelViewError as e:
            log.warning("memory.runbooks_not_loaded", folder=str(folder), error=e.message)
            return
        log.info(
            "memory.runbooks_loaded",
            folder=str(folder),
            created=done.count("created"),
            updated=done.count("updated"),
            unchanged=done.count("unchanged"),
            removed=len(done.removed),
        )

    def language_model(self) -> ChatModel | None:
        """The `llm` settings' model (None: mode `none`), built once, at the first call.

        A `scripted` model is built at every call: each agent run plays `llm.script_file`
        from its first answer, so that a triage and a chat question do not share one script.
        """
        if self.settings.llm.provider == "scripted":
            return build_chat_model(self.settings.llm, data_dir=self.settings.data_dir)
        with self._llm_lock:  # a local model loads once, whichever worker thread asks first
            if not self._llm:
                self._llm.append(
                    build_chat_model(self.settings.llm, data_dir=self.settings.data_dir)
                )
            return self._llm[0]

    def turn_model(self) -> TurnModel | None:
        """The `llm` model with one run's budget and prices (None: mode `none`)."""
        chosen = self.language_model()
        if chosen is None:
            return None
        llm = self.settings.llm
        return TurnModel(
            model=chosen,
            mode=model_mode(chosen),
            budget=run_budget(llm),
            prices=prices_for(llm, chosen),
        )

    def investigators(self) -> Callable[[], Investigator | None]:
        """What makes each triage run's investigator.

        The factory given to `build`; else a supervisor over the `llm` model (built once, at
        the first run); else one that gives None (mode `none`).
        """
        if self.investigator is not None:
            return self.investigator

        def investigator() -> Investigator | None:
            chosen = self.language_model()
            return None if chosen is None else model_investigator(chosen, self.settings.llm)

        return investigator

    def chat_runner(self, model: Callable[[], TurnModel | None] | None = None) -> ChatRunner:
        """Answers chat questions with this container's clusters, memory and `llm` model.

        Args:
            model: Gives each question its model, instead of the `llm` settings (tests and
                evals with a scripted model).
        """
        chat = self.settings.chat
        return ChatRunner(
            sessions=self.sessions,
            database_url=self.settings.database_url(),
            clock=self.clock,
            kubernetes=self.kubernetes,
            metrics=self.metrics_source,
            memory=self.memory,
            model=model or self.turn_model,
            limits=ChatLimits(
                max_steps=chat.max_steps,
                history_turns=chat.history_turns,
                max_question_chars=chat.max_question_chars,
            ),
        )

    def inventory(self) -> InventorySync:
        """Syncs the inventory of the Kubernetes clusters this container has ports for."""
        return InventorySync(self.sessions, self.clock, self.kubernetes)

    def inventory_poller(self) -> SyncPoller:
        """Enqueues each cluster's inventory sync once per `inventory.interval_s`."""
        return SyncPoller(
            self.sessions,
            self.clock,
            sorted(self.kubernetes),
            interval_s=self.settings.inventory.interval_s,
        )

    def worker(self, *, concurrency: int | None = None) -> Worker:
        """A worker over this container's queue and handlers.

        Raises:
            ConfigError: asked for more than one concurrent job on SQLite.
        """
        wanted = concurrency or self.settings.worker.concurrency
        if self.is_sqlite:
            if concurrency is not None and concurrency > 1:
                raise ConfigError(
                    "worker.concurrency > 1 needs PostgreSQL; SQLite runs one job at a time"
                )
            wanted = 1
        policy = RetryPolicy(
            lease=timedelta(seconds=self.settings.worker.lease_s),
            backoff_base_s=self.settings.worker.backoff_base_s,
            backoff_max_s=self.settings.worker.backoff_max_s,
        )
        queue = JobQueue(self.sessions, self.clock, policy)
        if not self.handlers.kinds():
            self.register_handlers()
        escalator = Escalator(
            self.sessions,
            self.clock,
            rate_limit=self.rate_limit(),
            batch=self.settings.worker.escalation_batch,
        )
        return Worker(
            queue,
            self.handlers,
            concurrency=wanted,
            poll_interval_s=self.settings.worker.poll_interval_s,
            metrics=self.metrics,
            pollers=[escalator.tick, self.inventory_poller().tick, self.job_retention().tick],
        )

    def job_retention(self) -> JobRetention:
        """Deletes finished jobs past their retention (`worker.*_retention_days`)."""
        worker = self.settings.worker
        return JobRetention(
            self.sessions,
            self.clock,
            succeeded=timedelta(days=worker.succeeded_retention_days),
            failed=timedelta(days=worker.failed_retention_days),
        )

    def close(self) -> None:
        """Release every connection: the notifiers' (after sends in flight), then the database's.

        Call it after the worker has stopped.
        """
        while self._on_close:
            release = self._on_close.pop()
            try:
                release()
            except Exception:  # closing the rest matters more than this one's error
                log.exception("container.close_failed", what=getattr(release, "__qualname__", "?"))
        self.engine.dispose()
