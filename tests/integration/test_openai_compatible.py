"""The openai provider against an OpenAI-compatible server on loopback, over real HTTP.

The server is as strict as llama-cpp-python's: it answers 422 to an assistant
message whose content is null, which is what langchain-openai sends for a message
carrying tool calls unless the provider fixes the payload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import SecretStr

from agents.budget import Budget, MeterCallback, RunMeter
from agents.llm import build_chat_model, prices_for
from core.settings import LlmOpenAISettings, LlmSettings
from tests.fakes.http import FakeHttpServer, Recorded, Reply
from tests.fakes.tool_loop import run_tool_loop


def completion(message: dict[str, Any], prompt_tokens: int, completion_tokens: int) -> Reply:
    return Reply.json(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "qwen2.5-coder",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def strict_server(request: Recorded) -> Reply:
    """Answer a tool call first, then, once the tool's result is in, the diagnosis."""
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    messages = request.json()["messages"]
    if any(m["role"] == "assistant" and m.get("content") is None for m in messages):
        return Reply.json({"detail": "content: Input should be a valid string"}, status=422)
    if messages[-1]["role"] != "tool":
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": "k8s_list_pods", "arguments": '{"namespace": "payments"}'},
        }
        return completion({"role": "assistant", "content": None, "tool_calls": [call]}, 120, 18)
    return completion({"role": "assistant", "content": "api-7d9f is crash looping."}, 170, 9)


@tool
def k8s_list_pods(namespace: str) -> str:
    """List the pods of a namespace with their status."""
    return f"{namespace}/api-7d9f CrashLoopBackOff restarts=12"


def test_an_investigation_round_trip_with_a_tool_call(tmp_path: Path) -> None:
    with FakeHttpServer(strict_server) as server:
        settings = LlmSettings(
            openai=LlmOpenAISettings(
                base_url=f"{server.url}/v1",
                model="qwen2.5-coder",
                api_key=SecretStr("sk-test"),
                max_retries=0,
                timeout_s=10,
                input_price_per_mtok=1.0,
                output_price_per_mtok=2.0,
            )
        )
        model = build_chat_model(settings, data_dir=tmp_path)  # auto: base_url is set
        assert model is not None
        meter = RunMeter(Budget(max_tool_calls=3), prices=prices_for(settings, model))
        config = RunnableConfig(callbacks=[MeterCallback(meter)])
        messages: list[BaseMessage] = [
            SystemMessage("You are an SRE. Use the tools."),
            HumanMessage("Why is payments failing?"),
        ]
        answer = run_tool_loop(model, [k8s_list_pods], messages, config=config)

    assert answer.content == "api-7d9f is crash looping."
    first, second = (r.json() for r in server.requests)
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"
    assert first["model"] == "qwen2.5-coder"
    assert first["tools"][0]["function"]["name"] == "k8s_list_pods"
    sent = second["messages"][2]
    assert sent["role"] == "assistant"
    assert sent["content"] == ""  # not null: the strict server accepted it
    assert sent["tool_calls"][0]["function"]["arguments"] == '{"namespace": "payments"}'
    assert second["messages"][3] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "payments/api-7d9f CrashLoopBackOff restarts=12",
    }
    spent = meter.usage()
    assert (spent.llm_calls, spent.input_tokens, spent.output_tokens) == (2, 290, 27)
    assert spent.cost == (290 * 1.0 + 27 * 2.0) / 1e6
    assert spent.tool_calls == 1
