"""What the Slack bot needs of the chat runner: one question in a conversation, one answer.

The bot keys a conversation by Slack channel and thread (`<channel>:<thread ts>`), so every
reply in a thread continues the same conversation, whoever asks. The answer comes back whole,
with its steps as short lines (`t1 k8s_list_pods(namespace=payments) → ok: 12 pods`) for the
compact trace under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class ChatAnswer:
    """An answer and the steps it took."""

    text: str
    trace: list[str] = field(default_factory=list)
    """One line per tool call: call id, tool, arguments, and what came back."""
    mode: str | None = None
    """`none` (PixelView's deterministic answers) or the model that answered."""
    failed: bool = False
    """The turn ended on an error; `text` says which."""


class SlackChat(Protocol):
    """Answers questions asked in Slack."""

    async def answer(self, *, key: str, question: str, actor: str, owner: str) -> ChatAnswer:
        """Answer `question` in the conversation `key`, asked by `actor`.

        Args:
            key: The conversation: `<Slack channel id>:<thread ts>`.
            question: What was asked, without the bot's mention.
            actor: Who asks, for the audit log: `user:<id>` when the Slack user is linked to a
                PixelView user, else `slack:<Slack user id>`.
            owner: Who started the conversation when it is new: `slack:<Slack user id>`.
        """
        ...


def thread_key(channel: str, thread_ts: str) -> str:
    """The conversation of a Slack thread."""
    return f"{channel}:{thread_ts}"
