"""Tool calls written as JSON in a model's text, read leniently.

Small local models do not reliably use the `<tool_call>` tags of their chat
template: Qwen2.5-Coder answers with bare JSON, a fenced ```json block, or the
tags. `parse_tool_calls` finds the first JSON objects that name a known tool in
any of these forms; everything else in the text is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_WRAPPERS = re.compile(r"</?tool_call>|```(?:json)?")


@dataclass(frozen=True)
class ParsedToolCall:
    """A tool call found in text: a known tool's name and its arguments."""

    name: str
    arguments: dict[str, Any]


def parse_tool_calls(
    text: str, tool_names: Collection[str], *, limit: int | None = 1
) -> list[ParsedToolCall]:
    """The tool calls in `text`, in order, at most `limit` of them (`None`: all).

    A call is a JSON object with `name` (a name in `tool_names`; others are
    ignored) and `arguments` (or `parameters`): an object, a string holding a
    JSON object, or absent for no arguments. OpenAI's own shape,
    `{"type": "function", "function": {...}}`, is read too. The objects may
    stand alone, in a list, inside `<tool_call>` tags or a ```json fence.
    """
    calls: list[ParsedToolCall] = []
    if limit is not None and limit <= 0:
        return calls
    body = _WRAPPERS.sub(" ", text)
    decoder = json.JSONDecoder()
    start = 0
    while (brace := body.find("{", start)) >= 0:
        try:
            value, end = decoder.raw_decode(body, brace)
        except ValueError:
            start = brace + 1
            continue
        call = _as_call(value, tool_names)
        if call is None:
            # A call of an unknown tool is skipped whole (its arguments may hold objects
            # with a `name`); any other object may wrap a call, so look inside it.
            start = end if _names_something(value) else brace + 1
            continue
        calls.append(call)
        if limit is not None and len(calls) >= limit:
            break
        start = end
    return calls


def _names_something(value: Any) -> bool:
    if isinstance(value, dict) and isinstance(value.get("function"), dict):
        value = value["function"]
    return isinstance(value, dict) and isinstance(value.get("name"), str)


def _as_call(value: Any, tool_names: Collection[str]) -> ParsedToolCall | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict) and "name" not in value:
        value = value["function"]
    name = value.get("name")
    if not isinstance(name, str) or name not in tool_names:
        return None
    arguments = value.get("arguments", value.get("parameters"))
    if arguments is None:
        return ParsedToolCall(name, {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return ParsedToolCall(name, arguments)


def for_chat_template(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style messages as Hugging Face chat templates expect them.

    Templates render an assistant's tool call arguments with `tojson`, so they
    must be objects, not the JSON strings the OpenAI format carries; an
    assistant message with tool calls gets `""` for a missing content.
    """
    prepared: list[dict[str, Any]] = []
    for message in messages:
        item = dict(message)
        if item.get("tool_calls"):
            item["tool_calls"] = [_with_object_arguments(call) for call in item["tool_calls"]]
            if item.get("content") is None:
                item["content"] = ""
        prepared.append(item)
    return prepared


def _with_object_arguments(call: Mapping[str, Any]) -> dict[str, Any]:
    function = dict(call.get("function", {}))
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            function["arguments"] = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            function["arguments"] = {}
    return {**call, "function": function}
