"""The chat runner: the one place the web panel, the Slack bot, the CLI and the evals ask.

    turn = await runner.begin(thread_id, "which pods in payments restart most?", actor="user:3")
    async for step in turn.steps():      # tool_call, tool_result, ..., answer (or error)
        ...

`begin` checks the question, records it (and who asked it, in the audit log) and returns the
turn; `steps` runs the chat graph as the thread's LangGraph thread and yields each step as it
happens, then stores the steps, the answer and what the turn spent on the message. A turn that
fails, or whose consumer goes away, is stored as failed with the reason. Whether the actor may
use the thread is the caller's decision (`incidents.chat.readable_by`): a Slack thread is
shared by everyone in it, a web thread is its owner's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from typing import Any

from agents.chat.graph import ChatContext, ChatLimits, build_chat_graph
from agents.chat.model_turn import TurnModel
from agents.chat.steps import AnswerStep, ChatStep, ErrorStep
from agents.checkpoints import open_checkpointer
from connectors.kubernetes.port import KubernetesPort
from connectors.prometheus.port import MetricsPort
from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import InvalidRequest, PixelViewError
from core.logs import get_logger
from incidents import chat
from incidents.models.chat import ChatChannel, ChatMessage, ChatThread
from incidents.reader import IncidentReader
from incidents.triage import RunUsage
from memory.port import MemoryStore
from tools.catalog import default_registry
from tools.context import ToolDeps
from tools.registry import ToolRegistry

log = get_logger(__name__)

INTERNAL = "internal error; the server log has the details"


def graph_thread(thread_id: int) -> str:
    """The LangGraph thread of a conversation."""
    return f"chat-thread-{thread_id}"


class ChatRunner:
    """Answers questions in conversations with the clusters, memory and model it was given."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        database_url: str,
        clock: Clock,
        kubernetes: Mapping[str, KubernetesPort],
        metrics: MetricsPort | None = None,
        memory: MemoryStore | None = None,
        registry: ToolRegistry | None = None,
        model: Callable[[], TurnModel | None] = lambda: None,
        limits: ChatLimits | None = None,
    ) -> None:
        """Store conversations through `sessions`, checkpoint them in `database_url`.

        Args:
            sessions: PixelView's database.
            database_url: The same database, for the graph's checkpoints.
            clock: Time of the records and of the tools.
            kubernetes: Clusters by name.
            metrics: The metrics backend, when there is one.
            memory: Runbooks and past incidents, when there is a store.
            registry: The tools; a model is offered its read tools only (default: every
                shipped tool).
            model: Gives each turn its model and budget (None: mode `none`).
            limits: Steps per turn, history shown to a model, question length.
        """
        self._sessions, self._database_url, self._clock = sessions, database_url, clock
        self._deps = ToolDeps(
            kubernetes=dict(kubernetes),
            metrics=metrics,
            memory=memory,
            incidents=IncidentReader(sessions),
            clock=clock,
        )
        self._tools = tuple((registry or default_registry()).read_tools())
        self._model, self.limits = model, limits or ChatLimits()

    async def open_thread(
        self,
        *,
        owner: str,
        channel: ChatChannel,
        title: str | None = None,
        external_key: str | None = None,
        request_id: str | None = None,
    ) -> ChatThread:
        """A new thread, or the one the channel already has for `external_key`."""

        def write() -> ChatThread:
            with self._sessions() as session:
                if external_key is not None:
                    known = chat.thread_for_key(session, channel, external_key)
                    if known is not None:
                        return known
                thread = chat.create_thread(
                    session,
                    owner=owner,
                    channel=channel,
                    now=self._clock.now(),
                    title=title,
                    external_key=external_key,
                    request_id=request_id,
                )
                session.commit()
                session.refresh(thread)
                return thread

        return await asyncio.to_thread(write)

    async def begin(
        self, thread_id: int, question: str, *, actor: str, request_id: str | None = None
    ) -> ChatTurn:
        """Record `question` in the thread as asked by `actor`; the turn, ready to run.

        Raises:
            InvalidRequest: the question is empty or too long.
            NotFound: there is no such thread.
        """
        asked = question.strip()
        if not asked:
            raise InvalidRequest("question: ask something")
        if len(asked) > self.limits.max_question_chars:
            raise InvalidRequest(
                f"question: {len(asked)} characters, at most {self.limits.max_question_chars}"
            )

        def write() -> int:
            with self._sessions() as session:
                message = chat.add_question(
                    session,
                    thread_id,
                    question=asked,
                    asked_by=actor,
                    now=self._clock.now(),
                    request_id=request_id,
                )
                session.commit()
                assert message.id is not None  # flushed
                return message.id

        message_id = await asyncio.to_thread(write)
        return ChatTurn(self, thread_id=thread_id, message_id=message_id, question=asked)

    async def ask(
        self, thread_id: int, question: str, *, actor: str, request_id: str | None = None
    ) -> AsyncGenerator[ChatStep, None]:
        """`begin` and `steps` in one: every step of the answer to `question`."""
        turn = await self.begin(thread_id, question, actor=actor, request_id=request_id)
        async for step in turn.steps():
            yield step

    async def message(self, message_id: int) -> ChatMessage:
        """A stored message (`NotFound` without it)."""

        def read() -> ChatMessage:
            with self._sessions() as session:
                return chat.get_message(session, message_id)

        return await asyncio.to_thread(read)

    async def _run(self, turn: ChatTurn) -> AsyncGenerator[ChatStep, None]:
        """Run the graph for one turn, yielding its steps; store how it ended."""
        steps: list[ChatStep] = []
        spent: dict[str, Any] = {}
        model = self._model()
        context = ChatContext(deps=self._deps, tools=self._tools, model=model, limits=self.limits)
        config: Any = {"configurable": {"thread_id": graph_thread(turn.thread_id)}}
        failed: ErrorStep | None = None
        stored = False
        try:
            try:
                async with open_checkpointer(self._database_url) as checkpointer:
                    # (mode, chunk) pairs: steps from the custom stream, the state after a node
                    stream: Any = build_chat_graph(checkpointer).astream(
                        {"question": turn.question},
                        config=config,
                        context=context,
                        stream_mode=["custom", "values"],
                    )
                    async with aclosing(stream) as chunks:
                        async for mode, chunk in chunks:
                            if mode == "values":
                                spent = chunk.get("spent", spent)
                                continue
                            steps.append(chunk)
                            yield chunk
            except Exception as e:  # stored on the message; the consumer gets an error step
                failed = _error(e, turn)
                steps.append(failed)
            await asyncio.to_thread(self._finish, turn, steps, spent, model)
            stored = True
        finally:
            if not stored:  # the consumer went away (a closed connection) mid-turn
                self._finish(turn, steps, spent, model, cancelled=True)
        if failed is not None:
            yield failed

    def _finish(
        self,
        turn: ChatTurn,
        steps: list[ChatStep],
        spent: dict[str, Any],
        model: TurnModel | None,
        *,
        cancelled: bool = False,
    ) -> None:
        """Store the turn's steps, answer or error, and usage on its message."""
        answer = next((s.text for s in reversed(steps) if isinstance(s, AnswerStep)), None)
        error = next((s.message for s in steps if isinstance(s, ErrorStep)), None)
        if error is None and answer is None and cancelled:
            error = "cancelled: nobody was waiting for the answer any more"
        usage = RunUsage(
            mode=spent.get("mode") or (model.mode if model is not None else "none"),
            tool_calls=spent.get("tool_calls", []),
            llm_calls=spent.get("llm_calls", 0),
            tokens_in=spent.get("tokens_in", 0),
            tokens_out=spent.get("tokens_out", 0),
            cost=spent.get("cost", 0.0),
        )
        with self._sessions() as session:
            chat.finish_message(
                session,
                turn.message_id,
                now=self._clock.now(),
                steps=[s.model_dump(mode="json") for s in steps],
                usage=usage,
                answer=answer,
                error=error,
            )
            session.commit()


def _error(error: Exception, turn: ChatTurn) -> ErrorStep:
    if isinstance(error, PixelViewError):
        return ErrorStep(code=error.code, message=error.message)
    log.error("chat.failed", thread_id=turn.thread_id, message_id=turn.message_id, exc_info=error)
    return ErrorStep(code="internal", message=INTERNAL)


class ChatTurn:
    """One question of a thread, recorded and ready to run (once)."""

    def __init__(self, runner: ChatRunner, *, thread_id: int, message_id: int, question: str):
        """The turn of `message_id` in `thread_id`; `steps` runs it."""
        self.thread_id, self.message_id, self.question = thread_id, message_id, question
        self._runner = runner
        self._started = False

    def steps(self) -> AsyncGenerator[ChatStep, None]:
        """Run the turn: each step as it happens, the answer (or an error) last.

        Closing the generator early (`aclose`) stores the message as cancelled.
        """
        if self._started:
            raise RuntimeError(f"chat message {self.message_id} already ran")
        self._started = True
        return self._runner._run(self)
