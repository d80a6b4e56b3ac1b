"""The chat runner behind the Slack bot: one conversation per Slack thread.

The conversation of a Slack thread is the chat thread whose external key is
`<channel>:<thread ts>` (channel `slack`), opened on its first question and shared by everyone
in the Slack thread. The steps of the answer come back as one line per tool call.
"""

from __future__ import annotations

import json
from typing import Any

from agents.chat import AnswerStep, ChatRunner, ErrorStep, ToolCallStep, ToolResultStep
from api.slack.chat import ChatAnswer
from incidents.models.chat import ChatChannel

ARGUMENT_CHARS = 80
"""A call's arguments are shown up to this many characters."""


class RunnerChat:
    """`SlackChat` over the chat runner."""

    def __init__(self, runner: ChatRunner) -> None:
        """Ask `runner`."""
        self._runner = runner

    async def answer(self, *, key: str, question: str, actor: str, owner: str) -> ChatAnswer:
        """Ask in the Slack thread's conversation (opened on its first question)."""
        thread = await self._runner.open_thread(
            owner=owner, channel=ChatChannel.SLACK, title=question, external_key=key
        )
        assert thread.id is not None
        calls: dict[str, str] = {}
        trace: list[str] = []
        text, mode, failed = "", None, False
        async for step in self._runner.ask(thread.id, question, actor=actor):
            if isinstance(step, ToolCallStep):
                calls[step.call_id] = f"{step.tool}({arguments(step.arguments)})"
            elif isinstance(step, ToolResultStep):
                called = calls.get(step.call_id, f"{step.tool}()")
                trace.append(f"{step.call_id} {called} → {step.status}: {step.summary}")
            elif isinstance(step, AnswerStep):
                text, mode = step.text, step.mode
            elif isinstance(step, ErrorStep):
                text, failed = f"I could not answer: {step.message}", True
        return ChatAnswer(text=text, trace=trace, mode=mode, failed=failed)


def arguments(given: dict[str, Any]) -> str:
    """`namespace=payments, status=open`, cut at `ARGUMENT_CHARS`."""
    shown = ", ".join(
        f"{name}={value if isinstance(value, str) else json.dumps(value)}"
        for name, value in given.items()
    )
    return shown if len(shown) <= ARGUMENT_CHARS else shown[: ARGUMENT_CHARS - 1] + "…"
