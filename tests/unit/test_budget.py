"""A run's meter: tokens, cost, tool calls and seconds, and each limit enforced around the model."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import AIMessage, ToolCall
from langchain_core.messages.ai import UsageMetadata
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool

from agents.budget import Budget, BudgetExceeded, MeterCallback, Prices, RunMeter
from agents.llm import ScriptedChatModel


class Ticks:
    """A monotonic clock that moves when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def usage(input_tokens: int, output_tokens: int) -> UsageMetadata:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def test_the_meter_adds_up_calls_tokens_cost_tool_calls_and_seconds() -> None:
    clock = Ticks()
    meter = RunMeter(
        Budget(), prices=Prices(input_per_mtok=2.0, output_per_mtok=8.0), monotonic=clock
    )
    first = meter.record_llm_call(input_tokens=1000, output_tokens=500, model="m")
    meter.record_message(AIMessage("x", usage_metadata=usage(3000, 0)))
    meter.record_message(AIMessage("no usage reported"))
    meter.start_tool_call("k8s_list_pods")
    clock.now += 12.5
    spent = meter.usage()
    assert first.cost == pytest.approx((1000 * 2.0 + 500 * 8.0) / 1e6)
    assert (spent.llm_calls, spent.input_tokens, spent.output_tokens) == (3, 4000, 500)
    assert spent.tokens == 4500
    assert spent.cost == pytest.approx(0.006 + 0.006)
    assert (spent.tool_calls, spent.seconds) == (1, 12.5)
    assert meter.tool_names == ("k8s_list_pods",)
    assert meter.exceeded() is None  # no limits


def test_tokens_limit() -> None:
    meter = RunMeter(Budget(max_tokens=1000))
    meter.record_llm_call(input_tokens=600, output_tokens=300)
    meter.check()
    meter.record_llm_call(input_tokens=100, output_tokens=0)
    with pytest.raises(BudgetExceeded) as excinfo:
        meter.check_llm_call()
    assert (excinfo.value.limit, excinfo.value.used, excinfo.value.allowed) == (
        "tokens",
        1000,
        1000,
    )
    assert excinfo.value.message == "run budget reached: 1000 of 1000 tokens used"


def test_seconds_limit() -> None:
    clock = Ticks()
    meter = RunMeter(Budget(max_seconds=60), monotonic=clock)
    clock.now += 59.9
    meter.check()
    clock.now += 0.1
    problem = meter.exceeded()
    assert problem is not None
    assert (problem.limit, problem.allowed) == ("seconds", 60)
    with pytest.raises(BudgetExceeded, match="seconds"):
        meter.start_tool_call("k8s_list_pods")


def test_tool_calls_limit_refuses_the_next_call_and_counts_nothing() -> None:
    meter = RunMeter(Budget(max_tool_calls=2))
    meter.start_tool_call("a")
    meter.start_tool_call("b")
    with pytest.raises(BudgetExceeded) as excinfo:
        meter.start_tool_call("c")
    assert (excinfo.value.limit, excinfo.value.used, excinfo.value.allowed) == ("tool_calls", 2, 2)
    assert meter.tool_names == ("a", "b")
    meter.check_llm_call()  # the model may still write its answer
    with pytest.raises(BudgetExceeded, match="tool calls"):
        meter.check()


@tool
def k8s_list_pods(namespace: str) -> str:
    """List the pods of a namespace."""
    return f"api-1 Running in {namespace}"


def test_the_callback_meters_model_calls_and_tool_calls_of_a_run() -> None:
    call = ToolCall(name="k8s_list_pods", args={"namespace": "a"}, id="c1")
    model = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[call], usage_metadata=usage(200, 20)),
            AIMessage("fine", usage_metadata=usage(260, 10)),
        ]
    )
    meter = RunMeter(Budget(max_tool_calls=5), prices=Prices(input_per_mtok=1.0))
    config = RunnableConfig(callbacks=[MeterCallback(meter)])
    first = model.invoke("pods in a?", config=config)
    k8s_list_pods.invoke(first.tool_calls[0], config=config)
    model.invoke("and now?", config=config)
    spent = meter.usage()
    assert (spent.llm_calls, spent.input_tokens, spent.output_tokens) == (2, 460, 30)
    assert spent.cost == pytest.approx(460 / 1e6)
    assert meter.tool_names == ("k8s_list_pods",)
    assert [c.model for c in meter.calls] == ["scripted", "scripted"]


def test_the_callback_refuses_a_model_call_over_budget_before_it_is_made() -> None:
    model = ScriptedChatModel(script=[AIMessage("a", usage_metadata=usage(900, 200))] * 2)
    meter = RunMeter(Budget(max_tokens=1000))
    config = RunnableConfig(callbacks=[MeterCallback(meter)])
    model.invoke("first", config=config)
    with pytest.raises(BudgetExceeded, match="tokens"):
        model.invoke("second", config=config)
    assert model.remaining == 1  # the model was never asked


def test_the_callback_refuses_a_tool_call_over_budget() -> None:
    meter = RunMeter(Budget(max_tool_calls=1))
    config = RunnableConfig(callbacks=[MeterCallback(meter)])
    k8s_list_pods.invoke({"namespace": "a"}, config=config)
    with pytest.raises(BudgetExceeded, match="tool calls"):
        k8s_list_pods.invoke({"namespace": "b"}, config=config)


def test_the_callback_enforces_the_budget_in_async_runs_too() -> None:
    model = ScriptedChatModel(script=[AIMessage("a", usage_metadata=usage(900, 200))] * 2)
    meter = RunMeter(Budget(max_tokens=1000))
    config = RunnableConfig(callbacks=[MeterCallback(meter)])

    async def run() -> None:
        await model.ainvoke("first", config=config)
        with pytest.raises(BudgetExceeded, match="tokens"):
            await model.ainvoke("second", config=config)
        with pytest.raises(BudgetExceeded, match="tokens"):
            await k8s_list_pods.ainvoke({"namespace": "b"}, config=config)

    asyncio.run(run())
