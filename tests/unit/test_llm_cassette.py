"""Recording and replaying a model's exchanges: the same answers, and loud mismatches."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from agents.budget import BudgetExceeded
from agents.llm import (
    RecordingChatModel,
    ReplayChatModel,
    ReplayMismatch,
    ScriptedChatModel,
    model_mode,
)
from agents.llm.cassette import first_difference
from tests.unit.supervisor_lab import USAGE, call, say

ASK = [SystemMessage("You triage."), HumanMessage("Is payments/api OOMKilled?")]
TOOL = {"type": "function", "function": {"name": "k8s_list_pods", "parameters": {}}}


def test_replay_gives_the_recorded_answers_with_their_usage(tmp_path: Path) -> None:
    inner = ScriptedChatModel(script=[call("k8s_list_pods", namespace="payments"), say("yes")])
    recorder = RecordingChatModel(inner=inner, folder=tmp_path, mode="local:qwen")
    first = recorder.bind_tools([TOOL]).invoke(ASK)
    second = recorder.invoke([*ASK, first])
    assert model_mode(recorder) == "local:qwen"

    replay = ReplayChatModel.load(tmp_path)
    assert model_mode(replay) == "local:qwen" and replay.remaining == 2
    again = replay.bind_tools([TOOL]).invoke(ASK)
    assert isinstance(again, AIMessage)
    assert again.tool_calls == first.tool_calls and again.usage_metadata == USAGE
    assert replay.invoke([*ASK, again]).content == second.content == "yes"
    with pytest.raises(ReplayMismatch, match="call 3 was not recorded"):
        replay.invoke(ASK)


def test_a_different_request_names_the_first_difference(tmp_path: Path) -> None:
    RecordingChatModel(
        inner=ScriptedChatModel(script=[say("yes")]), folder=tmp_path, mode="m"
    ).invoke(ASK)
    replay = ReplayChatModel.load(tmp_path)
    with pytest.raises(ReplayMismatch) as caught:
        replay.invoke([ASK[0], HumanMessage("Is payments/ledger OOMKilled?")])
    assert "call 1 differs from the recording: .messages[1].text: recorded" in caught.value.message
    no_tools = ReplayChatModel.load(tmp_path)
    with pytest.raises(ReplayMismatch, match=r"\.tools: 0 items recorded, 1 now"):
        no_tools.bind_tools([TOOL]).invoke(ASK)


def test_a_folder_without_a_recording_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayMismatch, match="no recording"):
        ReplayChatModel.load(tmp_path / "never")


def test_first_difference_walks_into_lists_and_mappings() -> None:
    assert first_difference({"a": [1, 2]}, {"a": [1, 3]}) == ".a[1]: recorded 2, now 3"
    assert first_difference([1], [1, 2]) == "request: 1 items recorded, 2 now"


def test_a_run_that_ran_out_of_time_ends_at_the_same_call_in_replay(tmp_path: Path) -> None:
    recorder = RecordingChatModel(
        inner=ScriptedChatModel(script=[say("looking")]), folder=tmp_path, mode="local:slow"
    )
    recorder.invoke(ASK)
    recorder.note_ending(budget_seconds=300)
    replay = ReplayChatModel.load(tmp_path)
    assert replay.ended_on_budget == 300
    replay.invoke(ASK)
    with pytest.raises(BudgetExceeded, match="300 of 300 seconds"):
        replay.invoke(ASK)


def test_tool_call_arguments_keep_the_models_order(tmp_path: Path) -> None:
    answer = call("k8s_list_pods", status="any", namespace="payments", node=None)
    RecordingChatModel(inner=ScriptedChatModel(script=[answer]), folder=tmp_path, mode="m").invoke(
        ASK
    )
    replayed = ReplayChatModel.load(tmp_path).invoke(ASK)
    assert isinstance(replayed, AIMessage)
    assert list(replayed.tool_calls[0]["args"]) == ["status", "namespace", "node"]
