"""The local provider with the real model: one investigation with a real tool call.

Needs the `local-llm` extra (llama-cpp-python and the model's parts); skipped
without it. The model is assembled once into `.cache/pixelview-test/models/`
(ignored by git) and reused by later runs. About a minute on 2 cores.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool

from agents.budget import Budget, MeterCallback, RunMeter
from agents.llm import InstalledProbe, build_chat_model, default_model_dir
from agents.llm.llama import LlamaCppChat
from core.settings import LlmLocalSettings, LlmSettings
from tests.fakes.tool_loop import run_tool_loop

pytestmark = [pytest.mark.local_llm, pytest.mark.slow]

DATA_DIR = Path(__file__).resolve().parents[2] / ".cache" / "pixelview-test"


@pytest.fixture(scope="module")
def local_settings() -> LlmSettings:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: uv sync --extra local-llm")
    missing = InstalledProbe().model_missing(None, default_model_dir(DATA_DIR))
    if missing is not None:
        pytest.skip(f"the local model cannot be had: {missing}: uv sync --extra local-llm")
    local = LlmLocalSettings(n_ctx=4096, n_threads=os.cpu_count(), max_tokens=200)
    return LlmSettings(provider="local", local=local)


@tool
def k8s_list_pods(namespace: str) -> str:
    """List the pods of a Kubernetes namespace with their status and restart counts."""
    if namespace != "payments":
        return f"no pods in namespace {namespace}"
    return (
        "NAME                 STATUS             RESTARTS\n"
        "api-7d9f5c-x2lq      CrashLoopBackOff   12\n"
        "web-55c8d-9kq1       Running            0"
    )


def test_the_local_model_investigates_with_a_real_tool_call(local_settings: LlmSettings) -> None:
    model = build_chat_model(local_settings, data_dir=DATA_DIR)
    assert isinstance(model, LlamaCppChat)
    meter = RunMeter(Budget(max_tool_calls=3, max_tokens=20_000, max_seconds=600))
    config = RunnableConfig(callbacks=[MeterCallback(meter)])
    messages: list[BaseMessage] = [
        SystemMessage("You are an SRE assistant. Use the tools to look, then answer in one line."),
        HumanMessage("Which pod is failing in the Kubernetes namespace payments?"),
    ]
    answer = run_tool_loop(model, [k8s_list_pods], messages, config=config)

    first = messages[2]
    assert isinstance(first, AIMessage)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [
        ("k8s_list_pods", {"namespace": "payments"})
    ]
    assert isinstance(messages[3], ToolMessage)
    assert "CrashLoopBackOff" in str(messages[3].content)
    assert "api-7d9f5c" in str(answer.content), answer.content
    spent = meter.usage()
    assert spent.tool_calls >= 1
    assert spent.llm_calls == len([m for m in messages if isinstance(m, AIMessage)]) + 1
    assert spent.input_tokens > 100
    assert spent.output_tokens > 5
    assert spent.cost == 0
