"""The local provider with the real model: one investigation with a real tool call.

Needs the `local-llm` extra (llama-cpp-python and the model's parts); skipped
without it. The model is assembled once into `.cache/pixelview-test/models/`
(ignored by git) and reused by later runs. About a minute on 2 cores.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool

from agents.budget import Budget, MeterCallback, RunMeter
from agents.evidence import CallRecord, ReadToolCall
from agents.llm import InstalledProbe, build_chat_model, default_model_dir
from agents.llm.llama import LlamaCppChat
from agents.loop import LoopLimits, ToolLoop
from core.settings import LlmLocalSettings, LlmSettings
from tests import required
from tests.fakes.tool_loop import run_tool_loop
from tests.unit.lab_tools import lab_deps, oom_world
from tools.kubernetes.pods import k8s_list_pods as k8s_list_pods_tool

pytestmark = [pytest.mark.local_llm, pytest.mark.slow]

DATA_DIR = Path(__file__).resolve().parents[2] / ".cache" / "pixelview-test"


def unavailable(reason: str) -> None:
    """Skip, except in the tier that installed the extra (`make test-local-llm`): fail there."""
    required.unavailable(reason, required_by="REQUIRE_LOCAL_LLM")


@pytest.fixture(scope="module")
def local_settings() -> LlmSettings:
    if importlib.util.find_spec("llama_cpp") is None:
        unavailable("llama-cpp-python is not installed: uv sync --extra local-llm")
    missing = InstalledProbe().model_missing(None, default_model_dir(DATA_DIR))
    if missing is not None:
        unavailable(f"the local model cannot be had: {missing}: uv sync --extra local-llm")
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


def test_the_local_model_reads_the_lab_through_the_products_tool_loop(
    local_settings: LlmSettings,
) -> None:
    """The product's loop and a real read tool on the lab: an OOM-killed payments/api."""
    world = oom_world()
    deps = lab_deps(world)
    model = build_chat_model(local_settings, data_dir=DATA_DIR)
    assert isinstance(model, LlamaCppChat)
    meter = RunMeter(Budget(max_tool_calls=3, max_tokens=30_000, max_seconds=600))
    loop = ToolLoop(
        model,
        [ReadToolCall(k8s_list_pods_tool, deps, CallRecord())],
        meter=meter,
        limits=LoopLimits(max_steps=4, max_stalled=2),
    )
    messages = [
        SystemMessage("You are an SRE assistant. Use the tool to look, then answer in one line."),
        HumanMessage("Which pods are failing in the Kubernetes namespace payments, and why?"),
    ]
    outcome = asyncio.run(loop.run(messages))

    [call] = [c for c in deps.recorder.entries if c.tool == "k8s_list_pods"][:1]
    assert call.status == "ok" and call.arguments.get("namespace") == "payments"
    assert outcome.ended == "answered", outcome
    assert "api-" in outcome.answer or "OOM" in outcome.answer, outcome.answer
    assert meter.usage().llm_calls >= 2
