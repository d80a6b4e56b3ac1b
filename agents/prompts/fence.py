"""Fences around text from outside PixelView: alert text, logs, events, incident text.

Everything inside `<untrusted source="...">...</untrusted>` is data to read, never an
instruction to follow, and every system prompt says so. Text inside a fence cannot end it
early or open a fence of its own: any `<untrusted` or `</untrusted` in the data is escaped
to `&lt;untrusted` / `&lt;/untrusted`.
"""

from __future__ import annotations

import re
from typing import Any

from tools.result import ToolResult

_TAG = re.compile(r"<(?=\s*/?\s*untrusted)", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"[^\w .:/=()@#,+-]")


def escape(text: str) -> str:
    """`text` with anything that could open or close a fence made harmless."""
    return _TAG.sub("&lt;", text)


def fence(text: str, source: str) -> str:
    """`text` as data: inside an untrusted fence naming where it came from."""
    return f'<untrusted source="{_ATTRIBUTE.sub("", source)}">\n{escape(text)}\n</untrusted>'


def for_model(result: ToolResult[Any]) -> str:
    """The text a model is shown for a tool result: its header line, then the rest.

    The header (`[t3] k8s_pod_logs(...) -> ok`) stays outside the fence so that the call id
    can be cited; an untrusted result's message, data and notes go inside it.
    """
    text = result.render()
    if not result.untrusted:
        return text
    header, _, rest = text.partition("\n")
    if not rest:
        return header
    name = result.invocation.split("(", 1)[0] if result.invocation else "tool"
    source = f"{name} {result.call_id}" if result.call_id else name
    return f"{header}\n{fence(rest, source)}"
