"""Tool calls read leniently from a small model's text, and the local chat model around them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from agents.llm.llama import LlamaCppChat, ai_message
from agents.llm.template_handler import TemplateToolsHandler, chat_completion
from agents.llm.tool_calls import ParsedToolCall, for_chat_template, parse_tool_calls

TOOLS = {"k8s_list_pods", "k8s_pod_logs"}


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "k8s_list_pods", "arguments": {"namespace": "payments"}}',
        'I will look.\n```json\n{"name": "k8s_list_pods", "arguments": {"namespace": "payments"}}'
        "\n```",
        '<tool_call>\n{"name": "k8s_list_pods", "arguments": {"namespace": "payments"}}'
        "\n</tool_call>",
        '{"name": "k8s_list_pods", "arguments": "{\\"namespace\\": \\"payments\\"}"}',
        '{"name": "k8s_list_pods", "parameters": {"namespace": "payments"}}',
        '[{"name": "k8s_list_pods", "arguments": {"namespace": "payments"}}]',
        '{"type": "function", "function": {"name": "k8s_list_pods", '
        '"arguments": {"namespace": "payments"}}}',
        '{"tool_calls": [{"name": "k8s_list_pods", "arguments": {"namespace": "payments"}}]}',
    ],
    ids=["bare", "fenced", "tags", "string-args", "parameters", "list", "openai", "wrapped"],
)
def test_a_call_is_read_in_every_form_small_models_write(text: str) -> None:
    assert parse_tool_calls(text, TOOLS) == [
        ParsedToolCall("k8s_list_pods", {"namespace": "payments"})
    ]


def test_unknown_tools_and_their_arguments_are_ignored() -> None:
    text = (
        '{"name": "rm_rf", "arguments": {"name": "k8s_list_pods"}}\n'
        '{"name": "k8s_pod_logs", "arguments": {"pod": "api-1"}}'
    )
    assert parse_tool_calls(text, TOOLS) == [ParsedToolCall("k8s_pod_logs", {"pod": "api-1"})]


def test_prose_broken_json_and_non_object_arguments_give_no_call() -> None:
    assert parse_tool_calls("The pod api-1 is crash looping {because", TOOLS) == []
    assert parse_tool_calls('{"name": "k8s_list_pods", "arguments": [1, 2]}', TOOLS) == []
    assert parse_tool_calls('{"name": "k8s_list_pods", "arguments": "not json"}', TOOLS) == []


def test_missing_arguments_are_no_arguments_and_the_limit_holds() -> None:
    text = '{"name": "k8s_list_pods"} {"name": "k8s_pod_logs", "arguments": {}}'
    assert parse_tool_calls(text, TOOLS) == [ParsedToolCall("k8s_list_pods", {})]
    assert len(parse_tool_calls(text, TOOLS, limit=None)) == 2
    assert parse_tool_calls(text, TOOLS, limit=0) == []


def test_messages_for_a_template_carry_arguments_as_objects_and_string_content() -> None:
    messages: list[dict[str, Any]] = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "k8s_list_pods", "arguments": '{"namespace": "a"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "api-1 Running"},
    ]
    prepared = for_chat_template(messages)
    assert prepared[0]["content"] == ""
    assert prepared[0]["tool_calls"][0]["function"]["arguments"] == {"namespace": "a"}
    assert prepared[1] == messages[1]
    assert messages[0]["content"] is None  # the input is not changed


COMPLETION = {
    "id": "cmpl-1",
    "created": 1,
    "model": "qwen.gguf",
    "choices": [{"text": "", "index": 0, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140},
}


def test_a_completion_with_calls_becomes_an_openai_tool_call_answer() -> None:
    response = chat_completion(
        COMPLETION, text="...", calls=[ParsedToolCall("k8s_list_pods", {"namespace": "a"})]
    )
    choice = response["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["function"] == {"name": "k8s_list_pods", "arguments": '{"namespace": "a"}'}
    message = ai_message(response, model_name="qwen")
    assert message.content == ""
    assert message.tool_calls == [
        {"name": "k8s_list_pods", "args": {"namespace": "a"}, "id": call["id"], "type": "tool_call"}
    ]
    assert message.usage_metadata == {"input_tokens": 120, "output_tokens": 20, "total_tokens": 140}


def test_unparseable_arguments_from_a_server_become_an_invalid_tool_call() -> None:
    response = {
        "choices": [
            {
                "message": {
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "k8s_list_pods", "arguments": "{oops"}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    message = ai_message(response, model_name="m")
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["name"] == "k8s_list_pods"
    assert message.usage_metadata == {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}


@tool
def k8s_list_pods(namespace: str) -> str:
    """List the pods of a namespace."""
    return f"pods of {namespace}"


class FakeLlama:
    """Answers `create_chat_completion` from a list, recording each request."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []

    def create_chat_completion(
        self, messages: list[dict[str, Any]], **kwargs: Any
    ) -> dict[str, Any]:
        self.requests.append({"messages": messages, **kwargs})
        return self.answers.pop(0)


def test_the_local_chat_model_sends_openai_messages_and_tools_and_reads_the_answer() -> None:
    answer = chat_completion(
        COMPLETION, text="", calls=[ParsedToolCall("k8s_list_pods", {"namespace": "a"})]
    )
    llama = FakeLlama([answer])
    chat = LlamaCppChat(model=llama, model_name="qwen", max_tokens=64)
    message = chat.bind_tools([k8s_list_pods], tool_choice="any").invoke(
        [SystemMessage("be brief"), HumanMessage("what runs in a?")]
    )
    assert isinstance(message, AIMessage)
    assert message.tool_calls[0]["args"] == {"namespace": "a"}
    request = llama.requests[0]
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["tools"][0]["function"]["name"] == "k8s_list_pods"
    assert request["tool_choice"] == "required"
    assert request["max_tokens"] == 64
    assert request["temperature"] == 0.0


# A ChatML template with tools, shaped as Qwen2.5's (which ships in the GGUF).
TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n"
    "{% if m.tool_calls %}{% for c in m.tool_calls %}"
    '<tool_call>{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}'
    "</tool_call>{% endfor %}{% else %}{{ m.content }}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if tools %}TOOLS:{% for t in tools %} {{ t.function.name }}{% endfor %}\n{% endif %}"
    "<|im_start|>assistant\n"
)


class FakeCompletionModel:
    """What `TemplateToolsHandler` needs of a `llama_cpp.Llama`; answers a fixed text."""

    def __init__(self, *texts: str) -> None:
        self.metadata = {"tokenizer.chat_template": TEMPLATE}
        self.texts = list(texts)
        self.prompts: list[str] = []
        self.options: dict[str, Any] = {}

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        assert not add_bos and special
        self.prompts.append(text.decode())
        return [1, 2, 3]

    def detokenize(
        self, tokens: list[int], prev_tokens: list[int] | None = None, special: bool = False
    ) -> bytes:
        assert (tokens, prev_tokens, special) == ([0], None, True)
        return b"<|im_end|>"

    def token_eos(self) -> int:
        return 0

    def create_completion(self, prompt: list[int], **kwargs: Any) -> Any:
        assert prompt == [1, 2, 3]
        self.options = kwargs
        text = self.texts.pop(0) if len(self.texts) > 1 else self.texts[0]
        return {**COMPLETION, "choices": [{"text": text, "finish_reason": "stop"}]}


def test_the_handler_renders_the_models_template_and_reads_its_json_call() -> None:
    pytest.importorskip("llama_cpp", reason="the handler renders with llama_cpp's Jinja formatter")
    llama = FakeCompletionModel('```json\n{"name": "k8s_list_pods", "arguments": {}}\n```')
    tools = [{"type": "function", "function": {"name": "k8s_list_pods", "parameters": {}}}]
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "pods?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c0",
                    "type": "function",
                    "function": {"name": "k8s_list_pods", "arguments": '{"namespace": "a"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c0", "content": "api-1 Running"},
    ]
    response = TemplateToolsHandler()(
        llama=llama, messages=history, tools=tools, temperature=0.0, max_tokens=32, stop="STOP"
    )
    prompt = llama.prompts[0]
    assert '<tool_call>{"name": "k8s_list_pods", "arguments": {"namespace": "a"}}' in prompt
    assert "TOOLS: k8s_list_pods" in prompt
    assert prompt.endswith("<|im_start|>assistant")
    assert llama.options["stop"] == ["<|im_end|>", "<|endoftext|>", "STOP"]
    assert llama.options["max_tokens"] == 32
    call = response["choices"][0]["message"]["tool_calls"][0]["function"]
    assert (call["name"], json.loads(call["arguments"])) == ("k8s_list_pods", {})

    none = TemplateToolsHandler()(llama=llama, messages=history, tools=tools, tool_choice="none")
    assert none["choices"][0]["message"]["content"].startswith("```json")
    assert "tool_calls" not in none["choices"][0]["message"]


def test_a_tool_message_round_trips_through_the_local_chat_model() -> None:
    llama = FakeLlama([chat_completion(COMPLETION, text="api-1 is fine", calls=[])])
    chat = LlamaCppChat(model=llama)
    call = {"name": "k8s_list_pods", "args": {"namespace": "a"}, "id": "c1"}
    answer = chat.invoke(
        [
            HumanMessage("pods?"),
            AIMessage("", tool_calls=[call]),
            ToolMessage("api-1 Running", tool_call_id="c1"),
        ]
    )
    assert answer.content == "api-1 is fine"
    sent = llama.requests[0]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"namespace": "a"}'
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "api-1 Running"}


def test_a_repeated_call_whose_result_is_in_is_answered_without_tools() -> None:
    pytest.importorskip("llama_cpp", reason="the handler renders with llama_cpp's Jinja formatter")
    llama = FakeCompletionModel(
        '{"name": "k8s_list_pods", "arguments": {"namespace": "a"}}', "api-1 is the one failing"
    )
    tools = [{"type": "function", "function": {"name": "k8s_list_pods", "parameters": {}}}]
    call = {"name": "k8s_list_pods", "arguments": '{"namespace": "a"}'}
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "pods?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c0", "function": call}]},
        {"role": "tool", "tool_call_id": "c0", "content": "api-1 CrashLoopBackOff"},
    ]
    response = TemplateToolsHandler()(llama=llama, messages=history, tools=tools)
    message = response["choices"][0]["message"]
    assert (message["content"], message.get("tool_calls")) == ("api-1 is the one failing", None)
    assert "TOOLS:" in llama.prompts[0]
    assert "TOOLS:" not in llama.prompts[1]  # asked again without tools
    assert response["usage"] == {"prompt_tokens": 240, "completion_tokens": 40, "total_tokens": 280}

    other = FakeCompletionModel('{"name": "k8s_list_pods", "arguments": {"namespace": "b"}}')
    response = TemplateToolsHandler()(llama=other, messages=history, tools=tools)
    assert response["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == (
        '{"namespace": "b"}'
    )
