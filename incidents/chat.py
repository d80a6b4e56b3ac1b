"""Chat threads and messages as stored: open a thread, record a question, then its answer.

The chat runner (`agents/chat/`) records each question when it starts (in the audit log too:
who asked what) and its steps, answer and usage when it ends; the API and the Slack bot find
threads here. Who may read or continue a thread is the caller's decision (`readable_by`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, NotFound
from incidents.audit import audit
from incidents.models.chat import ChatChannel, ChatMessage, ChatMessageStatus, ChatThread
from incidents.triage import RunUsage, store_usage

TITLE_CHARS = 80
"""A thread's title is its first question, cut here."""


def title_of(question: str) -> str:
    """A title from a question: its first line, cut at `TITLE_CHARS` with an ellipsis."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def create_thread(
    session: Session,
    *,
    owner: str,
    channel: ChatChannel,
    now: datetime,
    title: str | None = None,
    external_key: str | None = None,
    request_id: str | None = None,
) -> ChatThread:
    """A new thread (caller commits); `Conflict` when the channel already has `external_key`."""
    if external_key is not None and thread_for_key(session, channel, external_key) is not None:
        raise Conflict(f"a {channel.value} thread with key {external_key!r} already exists")
    thread = ChatThread(
        owner=owner,
        title=title_of(title) if title else "",
        channel=channel.value,
        external_key=external_key,
        created_at=now,
        updated_at=now,
    )
    session.add(thread)
    session.flush()
    audit(
        session,
        now=now,
        actor=owner,
        action="chat.thread.create",
        target_type="chat_thread",
        target_id=thread.id,
        after={"channel": thread.channel, "external_key": external_key},
        request_id=request_id,
    )
    return thread


def thread_for_key(session: Session, channel: ChatChannel, external_key: str) -> ChatThread | None:
    """The thread a channel knows by `external_key` (a Slack thread), or None."""
    return session.scalars(
        select(ChatThread).where(
            col(ChatThread.channel) == channel.value,
            col(ChatThread.external_key) == external_key,
        )
    ).first()


def get_thread(session: Session, thread_id: int) -> ChatThread:
    """A thread by id, or `NotFound`."""
    thread = session.get(ChatThread, thread_id)
    if thread is None:
        raise NotFound(f"chat thread {thread_id} not found")
    return thread


def readable_by(thread: ChatThread, actor: str, *, admin: bool = False) -> bool:
    """Whether `actor` may read the thread: its owner, or an admin."""
    return admin or thread.owner == actor


def list_threads(session: Session, *, owner: str, limit: int = 50) -> list[ChatThread]:
    """The owner's threads, the most recently asked first."""
    return list(
        session.scalars(
            select(ChatThread)
            .where(col(ChatThread.owner) == owner)
            .order_by(col(ChatThread.updated_at).desc(), col(ChatThread.id).desc())
            .limit(limit)
        )
    )


def add_question(
    session: Session,
    thread_id: int,
    *,
    question: str,
    asked_by: str,
    now: datetime,
    request_id: str | None = None,
) -> ChatMessage:
    """Record a question as running, and who asked it in the audit log (caller commits)."""
    thread = get_thread(session, thread_id)
    message = ChatMessage(
        thread_id=thread_id,
        asked_by=asked_by,
        question=question,
        status=ChatMessageStatus.RUNNING,
        created_at=now,
    )
    session.add(message)
    thread.title = thread.title or title_of(question)
    thread.updated_at = now
    session.flush()
    audit(
        session,
        now=now,
        actor=asked_by,
        action="chat.ask",
        target_type="chat_thread",
        target_id=thread_id,
        after={"message_id": message.id, "question": question},
        request_id=request_id,
    )
    return message


def finish_message(
    session: Session,
    message_id: int,
    *,
    now: datetime,
    steps: list[dict[str, Any]],
    usage: RunUsage,
    answer: str | None = None,
    error: str | None = None,
) -> ChatMessage:
    """Store how a question ended: answered (with `answer`) or failed (with `error`)."""
    message = get_message(session, message_id)
    message.status = ChatMessageStatus.FAILED if error is not None else ChatMessageStatus.ANSWERED
    message.answer, message.error = answer, error[:8000] if error is not None else None
    message.steps = steps
    store_usage(message, usage)
    message.finished_at = now
    return message


def get_message(session: Session, message_id: int) -> ChatMessage:
    """A message by id, or `NotFound`."""
    message = session.get(ChatMessage, message_id)
    if message is None:
        raise NotFound(f"chat message {message_id} not found")
    return message


def list_messages(session: Session, thread_id: int) -> list[ChatMessage]:
    """A thread's messages, oldest first."""
    return list(
        session.scalars(
            select(ChatMessage)
            .where(col(ChatMessage.thread_id) == thread_id)
            .order_by(col(ChatMessage.id))
        )
    )
