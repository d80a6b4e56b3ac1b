"""A scripted model's answers from a YAML file: what `--llm scripted` plays for a scenario.

    - call: ask_kubernetes                      # one tool call
      args: {question: Are the payments/api pods OOMKilled?}
    - calls:                                    # several at once
        - {call: k8s_list_pods, args: {namespace: payments}}
        - {call: k8s_list_nodes}
    - say: The api pods end OOMKilled.          # an answer in words

Each answer becomes the `AIMessage` a model would return (tool calls get ids `call-1`...),
with no token usage. Errors name the file and the answer's index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import AIMessage

from core.errors import InvalidRequest


class ScriptError(InvalidRequest):
    """A script file cannot be used; the message names the file and the answer."""


def load_script(path: Path) -> list[AIMessage]:
    """The answers of a script file, in order.

    Raises:
        ScriptError: the file is missing, not YAML, or an answer is malformed.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ScriptError(f"{path}: no such script file") from e
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ScriptError(f"{path}: not readable YAML: {e}") from e
    if not isinstance(data, list) or not data:
        raise ScriptError(f"{path}: must hold a list of answers (say / call / calls)")
    ids = iter(range(1, 10_000))
    return [_answer(item, f"{path}: [{index}]", ids) for index, item in enumerate(data)]


def _answer(item: Any, where: str, ids: Any) -> AIMessage:
    if not isinstance(item, dict) or len(item.keys() & {"say", "call", "calls"}) != 1:
        raise ScriptError(f"{where}: give exactly one of say, call or calls")
    if "say" in item:
        if set(item) != {"say"} or not isinstance(item["say"], str):
            raise ScriptError(f"{where}: say: must be text, alone")
        return AIMessage(content=item["say"])
    wanted = [item] if "call" in item else item["calls"]
    if not isinstance(wanted, list) or not wanted:
        raise ScriptError(f"{where}: calls: must be a list of {{call, args}}")
    calls = []
    for n, one in enumerate(wanted):
        at = where if "call" in item else f"{where}.calls[{n}]"
        if not isinstance(one, dict) or not set(one) <= {"call", "args"} or "call" not in one:
            raise ScriptError(f"{at}: a tool call is {{call: <tool>, args: {{...}}}}")
        args = one.get("args") or {}
        if not isinstance(one["call"], str) or not isinstance(args, dict):
            raise ScriptError(f"{at}: call must name a tool and args be a mapping")
        calls.append({"name": one["call"], "args": args, "id": f"call-{next(ids)}"})
    return AIMessage(content="", tool_calls=calls)
