"""Chat: threads of questions to PixelView, each answer streamed step by step over SSE.

Every authenticated user may chat (viewers too: chat only reads). A thread is its owner's:
only they ask in it; they and admins read it. Without a chat runner (an app built without
one) every chat endpoint answers 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from agents.chat import ChatRunner, ChatTurn
from api import sse
from api.deps import Caller, CurrentCaller, Now, Sessions
from api.schemas.chat import MessageOut, QuestionIn, ThreadCreate, ThreadDetailOut, ThreadOut
from core.db.engine import SessionFactory
from core.errors import Forbidden, Unavailable
from incidents import chat
from incidents.models.chat import ChatChannel, ChatThread
from incidents.models.people import Role

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])


def chat_runner(request: Request) -> ChatRunner:
    """The app's chat runner, or 503 when it has none."""
    runner: ChatRunner | None = request.app.state.chat
    if runner is None:
        raise Unavailable(
            "chat is not available on this server: it was started without a chat runner "
            "(`pixelview serve` and `pixelview demo` start one)"
        )
    return runner


Runner = Annotated[ChatRunner, Depends(chat_runner)]


def _readable(sessions: SessionFactory, thread_id: int, caller: Caller) -> ChatThread:
    with sessions() as session:
        thread = chat.get_thread(session, thread_id)
    if not chat.readable_by(thread, caller.actor, admin=caller.user.role == Role.ADMIN):
        raise Forbidden(f"chat thread {thread_id} belongs to someone else")
    return thread


@router.post("/threads", response_model=ThreadOut, status_code=201)
def create_thread(
    body: ThreadCreate, sessions: Sessions, clock: Now, caller: CurrentCaller, runner: Runner
) -> ThreadOut:
    """Start a conversation owned by the caller (409 when the channel's key is taken).

    Only admins start threads of another channel than `web`: a thread of the Slack channel
    that someone else started would receive that Slack conversation.
    """
    del runner
    if body.channel != ChatChannel.WEB:
        caller.require(Role.ADMIN)
    with sessions() as session:
        thread = chat.create_thread(
            session,
            owner=caller.actor,
            channel=body.channel,
            now=clock.now(),
            title=body.title,
            external_key=body.external_key,
            request_id=caller.request_id,
        )
        session.commit()
        return ThreadOut.model_validate(thread)


@router.get("/threads", response_model=list[ThreadOut])
def list_threads(
    sessions: Sessions,
    caller: CurrentCaller,
    runner: Runner,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ThreadOut]:
    """The caller's conversations, the most recently asked first."""
    del runner
    with sessions() as session:
        threads = chat.list_threads(session, owner=caller.actor, limit=limit)
        return [ThreadOut.model_validate(t) for t in threads]


@router.get("/threads/{thread_id}", response_model=ThreadDetailOut)
def get_thread(
    thread_id: int, sessions: Sessions, caller: CurrentCaller, runner: Runner
) -> ThreadDetailOut:
    """A conversation and its messages with every step (its owner, or an admin)."""
    del runner
    thread = _readable(sessions, thread_id, caller)
    with sessions() as session:
        messages = [MessageOut.model_validate(m) for m in chat.list_messages(session, thread_id)]
    return ThreadDetailOut.model_validate(
        ThreadOut.model_validate(thread).model_dump() | {"messages": messages}
    )


@router.post(
    "/threads/{thread_id}/messages",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {sse.MEDIA_TYPE: {}},
            "description": "One event per step (`event:` the step's kind, `data:` its JSON: "
            "tool_call, tool_result, answer, error), then `done` with the stored message.",
        }
    },
)
async def ask(
    thread_id: int, body: QuestionIn, sessions: Sessions, caller: CurrentCaller, runner: Runner
) -> StreamingResponse:
    """Ask a question in the caller's thread; the answer streams as Server-Sent Events."""
    thread = await asyncio.to_thread(_readable, sessions, thread_id, caller)
    if thread.owner != caller.actor:
        raise Forbidden(f"only the owner of chat thread {thread_id} asks in it")
    turn = await runner.begin(
        thread_id, body.question, actor=caller.actor, request_id=caller.request_id
    )
    return StreamingResponse(
        sse.keep_alive(_events(turn, runner)), media_type=sse.MEDIA_TYPE, headers=sse.HEADERS
    )


async def _events(turn: ChatTurn, runner: ChatRunner) -> AsyncIterator[str]:
    async for step in turn.steps():
        yield sse.event(step.kind, step.model_dump_json())
    message = MessageOut.model_validate(await runner.message(turn.message_id))
    yield sse.event("done", message.model_dump_json())
