"""`pixelview chat "question"`: ask in this process and print each step as it streams."""

from __future__ import annotations

import json
from collections.abc import Callable

from agents.chat import AnswerStep, ChatRunner, ChatStep, ErrorStep, ToolCallStep, ToolResultStep
from agents.chat.steps import IncidentLink, Link, ResourceLink
from incidents.models.chat import ChatChannel
from tools.result import echo

CLI_ACTOR = "cli"


def link_text(link: Link) -> str:
    """A link as a person reads it: `incident 42`, `Pod payments/api-1 (cluster lab)`."""
    if isinstance(link, IncidentLink):
        return f"incident {link.incident_id}"
    if isinstance(link, ResourceLink):
        where = f"{link.namespace}/" if link.namespace else ""
        cluster = f" (cluster {link.cluster})" if link.cluster else ""
        return f"{link.kind} {where}{link.name}{cluster}"
    section = f", {link.section}" if link.section else ""
    return f"runbook {link.runbook_id} ({link.title}{section})"


def step_lines(step: ChatStep) -> list[str]:
    """A step as lines for a terminal."""
    if isinstance(step, ToolCallStep):
        return [f"→ [{step.call_id}] {echo(step.tool, step.arguments)}"]
    if isinstance(step, ToolResultStep):
        return [f"← [{step.call_id}] {step.status}: {step.summary}"]
    if isinstance(step, ErrorStep):
        return [f"error ({step.code}): {step.message}"]
    lines = ["", step.text]
    if step.links:
        lines += ["", "links: " + "; ".join(link_text(link) for link in step.links)]
    if step.flags:
        lines.append(f"flags: {', '.join(step.flags)}")
    return lines


async def ask(
    runner: ChatRunner,
    question: str,
    *,
    thread_id: int | None,
    show: Callable[[str], None],
    as_json: bool,
) -> bool:
    """Ask `question` (in `thread_id`, else a new thread); show each step. True if answered."""
    if thread_id is None:
        thread = await runner.open_thread(owner=CLI_ACTOR, channel=ChatChannel.CLI)
        assert thread.id is not None  # stored
        thread_id = thread.id
    turn = await runner.begin(thread_id, question, actor=CLI_ACTOR)
    answered = False
    async for step in turn.steps():
        answered = answered or isinstance(step, AnswerStep)
        if as_json:
            show(step.model_dump_json())
        else:
            for line in step_lines(step):
                show(line)
    message = await runner.message(turn.message_id)
    if as_json:
        done = {"kind": "done", "thread_id": thread_id, "message_id": turn.message_id}
        show(json.dumps(done | {"status": message.status}))
    else:
        tokens = message.tokens_in + message.tokens_out
        show(
            f"\n[thread {thread_id}, mode {message.mode}: {len(message.tool_calls)} tool calls, "
            f"{message.llm_calls} model calls, {tokens} tokens; ask again with "
            f"--thread {thread_id}]"
        )
    return answered
