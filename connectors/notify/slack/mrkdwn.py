"""Block Kit pieces and Slack's text rules, shared by the notifier and the Slack bot."""

from __future__ import annotations

from typing import Any

MAX_HEADER = 150
"""Characters of a header block (Block Kit's limit)."""
MAX_TEXT = 3000
"""Characters of a section's text, or of a context element."""
MAX_FIELD = 2000
"""Characters of one section field."""
MAX_FIELDS = 10
"""Fields of one section."""


def plain(text: str) -> dict[str, Any]:
    """A `plain_text` object (emoji shortcodes shown as emoji)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """A `mrkdwn` text object; escape what came from outside first."""
    return {"type": "mrkdwn", "text": text}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves for links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut, never inside an `&...;`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and amp >= len(cut) - 4 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"
