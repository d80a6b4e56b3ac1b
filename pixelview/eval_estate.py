"""The product wired for evaluation: one fresh container per scenario run, on the run's lab.

Every run gets its own SQLite database (a copy of one migrated at start, so a run does not
pay for the migrations), the lab's cluster and Prometheus as its Kubernetes and metrics
connectors, and the memory store of the whole evaluation (the runbook library embedded once;
no incident is resolved during an eval, so no run leaves a memory the next could find).
Alerts go through the real webhook route of the real app (over ASGI, without a socket); the
worker then runs every due job, triage included, exactly as `pixelview serve` would.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import httpx2
from sqlalchemy import select
from sqlmodel import col

from agents.chat import AnswerStep, ErrorStep, TurnModel
from agents.llm import ChatModel, build_chat_model, model_mode, prices_for, run_budget
from agents.llm.cassette import RecordingChatModel, ReplayChatModel
from agents.triage.graph import Investigator
from api.app import create_app
from core.clock import ManualClock
from core.errors import ConfigError, PixelViewError
from core.settings import DatabaseSettings, LlmSettings, Settings
from evals.outcome import Delivery, RunOutcome, ToolCall
from incidents.alerts.schema import Source
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.chat import ChatChannel
from incidents.models.incident import Incident
from incidents.models.triage import TriageRun
from incidents.triage import list_runs
from incidents.triage_report import TriageReport
from lab.demo import LabRun
from pixelview import __version__
from pixelview.container import Container, model_investigator
from pixelview.demo import LAB_CLUSTER

ACTOR = "system:eval"
MAX_JOB_ROUNDS = 200
"""Worker rounds per run before it counts as stuck (a triage takes a handful)."""


@dataclass(frozen=True)
class Cassettes:
    """Where each run's model exchanges are recorded, or replayed from (`<folder>/<run key>`)."""

    folder: Path
    mode: Literal["record", "replay"]


class ContainerEstate:
    """`evals.outcome.Estate` on PixelView's own container."""

    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        *,
        memory_dir: Path | None = None,
        cassettes: Cassettes | None = None,
        model: Callable[[str], ChatModel] | None = None,
        investigator: Callable[[], Investigator | None] | None = None,
    ) -> None:
        """Prepare `workdir`: the template database and the memory store with the runbooks.

        Args:
            settings: The evaluation's settings (`llm` chooses the model); the database and
                data folder are replaced by ones under `workdir`, the memory by an embedded
                store (an evaluation never touches the production database or vector store).
            workdir: A folder of the evaluation's own (its databases).
            memory_dir: The vector store's folder; default `workdir/chroma`. One that outlives
                the evaluation keeps the library's embeddings for the next (the runbooks are
                found unchanged, not embedded again).
            cassettes: Record every run's model exchanges, or replay them instead of
                calling a model.
            model: Makes each run's model from its key (`<scenario id>/<attempt>`) instead
                of the `llm` settings: a fresh scripted model per run, recorded like any other.
            investigator: Instead of the `llm` settings and `model` (tests).
        """
        self._workdir = workdir
        self._investigator = investigator
        self._cassettes = cassettes
        self._model_factory = model
        self._llm = settings.llm
        self._model_dir = settings.data_dir
        """Where a local model is assembled: the user's data folder, not the evaluation's."""
        self._model: list[ChatModel | None] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        workdir.mkdir(parents=True, exist_ok=True)
        self._template = workdir / "template.db"
        self._settings = settings.model_copy(
            update={
                "data_dir": workdir,
                "database": DatabaseSettings(url=f"sqlite:///{self._template}"),
                "memory": settings.memory.model_copy(
                    update={"mode": "embedded", "path": memory_dir or workdir / "chroma"}
                ),
            }
        )
        container = Container.build(self._settings)
        try:
            container.upgrade_database()
            container.load_runbooks()
        finally:
            container.close()

    def triage(self, lab: LabRun, deliveries: list[Delivery], at: datetime, key: str) -> RunOutcome:
        """Post the deliveries at `at`, run the worker dry, read the first incident's triage."""
        started = time.perf_counter()
        model = self._run_model(key)
        container = self._container(lab, at, model)
        try:
            asyncio.run(_post_all(container, deliveries))
            worker = container.worker()
            for _ in range(MAX_JOB_ROUNDS):
                if not worker.run_once():
                    break
            else:
                raise PixelViewError(f"the worker still had jobs after {MAX_JOB_ROUNDS} rounds")
            outcome = _read_outcome(container)
        finally:
            container.close()
        self._note_ending(model, outcome)
        if isinstance(model, ReplayChatModel) and model.remaining and outcome.error is None:
            outcome = outcome.model_copy(
                update={
                    "error": f"the run made {len(model.exchanges) - model.remaining} model "
                    f"calls; the recording in {model.folder} has {len(model.exchanges)}"
                }
            )
        return outcome.model_copy(update={"wall_s": time.perf_counter() - started})

    def _run_model(self, key: str) -> ChatModel | None:
        """The model of one run: the shared one, or a recording or replay of it for `key`."""
        if self._cassettes is not None and self._cassettes.mode == "replay":
            return ReplayChatModel.load(self._cassettes.folder / key)
        model = self._model_factory(key) if self._model_factory else self._shared_model()
        if self._cassettes is None:
            return model
        if model is None:
            raise ConfigError("--record needs a model: choose --llm local or --llm openai")
        folder = self._cassettes.folder / key
        shutil.rmtree(folder, ignore_errors=True)  # a new recording replaces the old one
        return RecordingChatModel(inner=model, folder=folder, mode=model_mode(model))

    def _shared_model(self) -> ChatModel | None:
        """The `llm` settings' model, built once for the whole evaluation (None: mode none)."""
        with self._lock:
            if not self._model:
                self._model.append(build_chat_model(self._llm, data_dir=self._model_dir))
            return self._model[0]

    def ask(self, lab: LabRun, question: str, key: str) -> RunOutcome:
        """Ask the chat runner `question` in a new thread; its answer, steps and spend."""
        started = time.perf_counter()
        model = self._run_model(key)
        container = self._container(lab, lab.started, model)
        try:
            outcome = asyncio.run(_converse(container, question, key, self._turn(model)))
        finally:
            container.close()
        self._note_ending(model, outcome)
        return outcome.model_copy(update={"wall_s": time.perf_counter() - started})

    def _note_ending(self, model: ChatModel | None, outcome: RunOutcome) -> None:
        """A recorded run that ended on its budget says so, for its replay to end there too."""
        if isinstance(model, RecordingChatModel) and outcome.budget_exceeded:
            model.note_ending(budget_seconds=self._llm.budget.max_seconds)

    def _turn(self, model: ChatModel | None) -> Callable[[], TurnModel | None]:
        llm = self._llm

        def turn() -> TurnModel | None:
            if model is None:
                return None
            return TurnModel(
                model=model,
                mode=model_mode(model),
                budget=run_budget(llm),
                prices=prices_for(llm, model),
            )

        return turn

    def _container(self, lab: LabRun, at: datetime, model: ChatModel | None) -> Container:
        with self._lock:
            run_db = self._workdir / f"run-{next(self._ids)}.db"
        shutil.copyfile(self._template, run_db)
        settings = self._settings.model_copy(
            update={"database": DatabaseSettings(url=f"sqlite:///{run_db}")}
        )
        return Container.build(
            settings,
            clock=ManualClock(at),
            kubernetes={LAB_CLUSTER: lab.kubernetes()},
            metrics_source=lab.metrics(),
            investigator=self._investigator or (lambda: _investigator(model, self._llm)),
        )


def _investigator(model: ChatModel | None, llm: LlmSettings) -> Investigator | None:
    return None if model is None else model_investigator(model, llm)


async def _post_all(container: Container, deliveries: list[Delivery]) -> None:
    """Each body to a webhook of its source's integration, through the app's real route."""
    app = create_app(
        container.settings,
        engine=container.engine,
        metrics=container.metrics,
        version=__version__,
        clock=container.clock,
        memory=container.memory,
    )
    paths: dict[str, str] = {}
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://eval") as client:
        for delivery in deliveries:
            if delivery.source not in paths:
                paths[delivery.source] = _webhook_path(container, delivery.source)
            response = await client.post(paths[delivery.source], json=delivery.body)
            if response.status_code != 202:
                raise PixelViewError(
                    f"the {delivery.source} webhook answered {response.status_code}: "
                    f"{response.text[:500]}"
                )


async def _converse(
    container: Container, question: str, key: str, turn: Callable[[], TurnModel | None]
) -> RunOutcome:
    runner = container.chat_runner(model=turn)
    thread = await runner.open_thread(owner=ACTOR, channel=ChatChannel.EVAL, title=key)
    asked = await runner.begin(thread.id or 0, question, actor=ACTOR)
    steps = [step async for step in asked.steps()]
    message = await runner.message(asked.message_id)
    answer = next((s for s in steps if isinstance(s, AnswerStep)), None)
    failed = next((s for s in steps if isinstance(s, ErrorStep)), None)
    return RunOutcome(
        answer=answer.text if answer is not None else None,
        error=None if answer is not None else (failed.message if failed else "no answer"),
        tool_calls=[_tool_call(c) for c in message.tool_calls],
        llm_calls=message.llm_calls,
        tokens_in=message.tokens_in,
        tokens_out=message.tokens_out,
        cost=message.cost,
        budget_exceeded=answer is not None and "budget_exceeded" in answer.flags,
    )


def _webhook_path(container: Container, source: str) -> str:
    with container.sessions() as session:
        integration, token = create_integration(
            session,
            IntegrationCreate(name=f"eval-{source}", source=Source(source)),
            now=container.clock.now(),
            actor=ACTOR,
        )
        session.commit()
        return f"/api/v1/integrations/{token}/{integration.source}"


def _read_outcome(container: Container) -> RunOutcome:
    with container.sessions() as session:
        rows = session.scalars(select(col(Incident.id)).order_by(col(Incident.id))).all()
        incidents = [i for i in rows if i is not None]
        if not incidents:
            return RunOutcome(error="the alert opened no incident")
        runs = list_runs(session, incidents[0])
        if not runs:
            return RunOutcome(incidents=incidents, error="the incident was not triaged")
        run = runs[0]
        return _outcome(run, incidents)


def _outcome(run: TriageRun, incidents: list[int]) -> RunOutcome:
    report = TriageReport.model_validate(run.report) if run.report is not None else None
    calls = [_tool_call(c) for c in run.tool_calls]
    flags = report.flags if report is not None else []
    return RunOutcome(
        report=report,
        error=None if report is not None else f"triage {run.status}: {run.error or 'no report'}",
        incidents=incidents,
        tool_calls=calls,
        llm_calls=run.llm_calls,
        tokens_in=run.tokens_in,
        tokens_out=run.tokens_out,
        cost=run.cost,
        budget_exceeded="budget_exceeded" in flags,
    )


def _tool_call(entry: dict[str, Any]) -> ToolCall:
    return ToolCall.model_validate(
        {k: entry[k] for k in ("call_id", "tool", "kind", "arguments", "status") if k in entry}
    )
