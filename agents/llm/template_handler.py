"""A llama-cpp-python chat handler: the GGUF's own chat template, and lenient tool calls.

llama-cpp-python's `chatml-function-calling` handler cannot drive an agent loop
(it needs `tool_choice` and drops tool results). This handler renders the
model's own Jinja template, which knows `tools`, assistant `tool_calls` and
`tool` messages (Qwen2.5's does), runs a plain completion, and reads the tool
calls the model wrote as JSON (`parse_tool_calls`) into OpenAI `tool_calls`.
It is given to `llama_cpp.Llama(chat_handler=...)`, which calls it from
`create_chat_completion`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agents.llm.tool_calls import ParsedToolCall, for_chat_template, parse_tool_calls

TEMPLATE_STOPS = ("<|im_end|>", "<|endoftext|>")
"""End-of-turn markers of ChatML templates (Qwen), besides the model's own EOS token."""

_SAMPLING = ("top_p", "top_k", "min_p", "repeat_penalty", "seed")
"""`create_chat_completion` arguments passed on to the completion as they are."""


class CompletionModel(Protocol):
    """The part of `llama_cpp.Llama` the handler uses."""

    metadata: dict[str, str]

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        """Tokens of `text`."""
        ...

    def detokenize(
        self, tokens: list[int], prev_tokens: list[int] | None = None, special: bool = False
    ) -> bytes:
        """Text of `tokens`."""
        ...

    def token_eos(self) -> int:
        """The end-of-sequence token."""
        ...

    def create_completion(self, prompt: list[int], **kwargs: Any) -> Any:
        """A completion of `prompt` (an OpenAI-style `text_completion` dict)."""
        ...


class TemplateToolsHandler:
    """Chat completions from the model's own template, with tool calls read from its JSON."""

    def __init__(self, *, max_tool_calls: int | None = 1, answer_repeats: bool = True) -> None:
        """Read at most `max_tool_calls` calls per answer (`None`: all).

        One call per turn keeps a small model honest: it sees each result
        before it decides the next step. With `answer_repeats`, a call the
        conversation already holds the result of (same tool, same arguments) is
        not returned: a small model often repeats a call instead of answering
        from its result, so the handler asks again without tools and returns
        that answer (the usage of both completions is counted).
        """
        self.max_tool_calls = max_tool_calls
        self.answer_repeats = answer_repeats
        self._formatters: dict[str, Any] = {}

    def __call__(
        self,
        *,
        llama: CompletionModel,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: Any = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Answer `messages` as an OpenAI `chat.completion` (no streaming)."""
        if stream:
            raise ValueError("TemplateToolsHandler does not stream")
        history = for_chat_template(messages)
        tool_list = [dict(tool) for tool in tools or ()]
        options: dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "stop": [*TEMPLATE_STOPS, *([stop] if isinstance(stop, str) else stop or [])],
            **{name: kwargs[name] for name in _SAMPLING if kwargs.get(name) is not None},
        }
        completion = self._complete(llama, history, tool_list, options)
        text: str = completion["choices"][0]["text"]
        names = _callable_tools(tool_list, tool_choice)
        calls = parse_tool_calls(text, names, limit=self.max_tool_calls) if names else []
        if self.answer_repeats and calls and _answered(calls[0], history):
            again = self._complete(llama, history, [], options)
            completion = {**again, "usage": _added(completion.get("usage"), again.get("usage"))}
            text, calls = again["choices"][0]["text"], []
        return chat_completion(completion, text=text, calls=calls)

    def _complete(
        self,
        llama: CompletionModel,
        history: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> Any:
        rendered = self._formatter(llama)(messages=history, tools=tools or None)
        prompt = llama.tokenize(rendered.prompt.encode(), add_bos=False, special=True)
        return llama.create_completion(prompt=prompt, stream=False, **options)

    def _formatter(self, llama: CompletionModel) -> Any:
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError("the model file has no chat template (tokenizer.chat_template)")
        formatter = self._formatters.get(template)
        if formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos = llama.detokenize([llama.token_eos()], special=True).decode(errors="replace")
            formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")
            self._formatters[template] = formatter
        return formatter


def _answered(call: ParsedToolCall, history: list[dict[str, Any]]) -> bool:
    """Whether `history` holds a result of the same tool called with the same arguments."""
    answered = {m.get("tool_call_id") for m in history if m.get("role") == "tool"}
    for message in history:
        for previous in message.get("tool_calls") or ():
            function = previous.get("function", {})
            if (
                previous.get("id") in answered
                and function.get("name") == call.name
                and function.get("arguments") == call.arguments
            ):
                return True
    return False


def _added(first: Mapping[str, int] | None, second: Mapping[str, int] | None) -> dict[str, int]:
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {k: (first or {}).get(k, 0) + (second or {}).get(k, 0) for k in keys}


def _callable_tools(tools: list[dict[str, Any]], tool_choice: Any) -> set[str]:
    """The tools the answer may call: none for `tool_choice="none"`, the one it names."""
    if tool_choice == "none":
        return set()
    names = {str(tool["function"]["name"]) for tool in tools if "function" in tool}
    if isinstance(tool_choice, Mapping) and isinstance(tool_choice.get("function"), Mapping):
        chosen = tool_choice["function"].get("name")
        return names & {chosen}
    return names


def chat_completion(
    completion: Mapping[str, Any], *, text: str, calls: list[ParsedToolCall]
) -> dict[str, Any]:
    """An OpenAI `chat.completion` from a `text_completion` and the tool calls read from it."""
    message: dict[str, Any] = {"role": "assistant", "content": None if calls else text}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in calls
        ]
    choice = completion["choices"][0]
    return {
        "id": f"chat{completion.get('id', '')}",
        "object": "chat.completion",
        "created": completion.get("created", 0),
        "model": completion.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if calls else choice.get("finish_reason"),
            }
        ],
        "usage": completion.get("usage"),
    }
