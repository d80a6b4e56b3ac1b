"""Provider resolution, the scripted model, and the OpenAI-compatible request payload."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.tools import tool
from pydantic import SecretStr

from agents.budget import FREE, Budget, Prices
from agents.llm import (
    ModelUnavailable,
    ScriptedChatModel,
    ScriptExhausted,
    build_chat_model,
    check_chat_model,
    prices_for,
    resolve_provider,
    run_budget,
)
from agents.llm.openai_compat import CompatibleChatOpenAI
from core.errors import ConfigError
from core.settings import LlmLocalSettings, LlmOpenAISettings, LlmSettings


class Probe:
    """Says whether llama-cpp-python and the local model are there."""

    def __init__(self, *, runtime: bool = True, model: bool = True) -> None:
        self.runtime = runtime
        self.model = model
        self.asked: list[tuple[Path | None, Path]] = []

    def runtime_missing(self) -> str | None:
        return None if self.runtime else "llama-cpp-python is not installed"

    def model_missing(self, model_path: Path | None, model_dir: Path) -> str | None:
        self.asked.append((model_path, model_dir))
        return None if self.model else "the default model's packages are not installed"


DATA = Path("/srv/pixelview")


@pytest.mark.parametrize(
    ("openai", "probe", "expected", "because"),
    [
        (LlmOpenAISettings(base_url="http://127.0.0.1:8000/v1"), Probe(), "openai", "base_url"),
        (LlmOpenAISettings(api_key=SecretStr("sk-x")), Probe(), "openai", "api_key"),
        (LlmOpenAISettings(), Probe(), "local", "local model is installed"),
        (LlmOpenAISettings(), Probe(runtime=False), "none", "llama-cpp-python is not installed"),
        (LlmOpenAISettings(), Probe(model=False), "none", "packages are not installed"),
    ],
    ids=["base-url", "api-key", "local", "no-llama-cpp", "no-model"],
)
def test_auto_picks_openai_then_local_then_none(
    openai: LlmOpenAISettings, probe: Probe, expected: str, because: str
) -> None:
    choice = resolve_provider(LlmSettings(openai=openai), data_dir=DATA, probe=probe)
    assert choice.provider == expected
    assert because in choice.reason


def test_auto_asks_about_the_configured_model_file_or_the_default_folder() -> None:
    probe = Probe()
    resolve_provider(LlmSettings(), data_dir=DATA, probe=probe)
    local = LlmLocalSettings(model_path=Path("/models/x.gguf"))
    resolve_provider(LlmSettings(local=local), data_dir=DATA, probe=probe)
    assert probe.asked == [(None, DATA / "models"), (Path("/models/x.gguf"), DATA / "models")]


def test_an_explicit_provider_is_taken_as_set() -> None:
    probe = Probe(runtime=False)
    for provider in ("openai", "local", "none", "scripted"):
        choice = resolve_provider(LlmSettings(provider=provider), data_dir=DATA, probe=probe)
        assert (choice.provider, choice.reason) == (provider, "set by llm.provider")
    assert probe.asked == []


def test_none_builds_no_model_and_the_default_is_none_without_anything_installed() -> None:
    assert build_chat_model(LlmSettings(provider="none"), data_dir=DATA) is None
    probe = Probe(runtime=False)
    assert build_chat_model(LlmSettings(), data_dir=DATA, probe=probe) is None


def test_openai_builds_a_compatible_client_without_connecting() -> None:
    settings = LlmSettings(
        openai=LlmOpenAISettings(
            base_url="http://127.0.0.1:9/v1",
            model="qwen2.5",
            timeout_s=5,
            max_retries=0,
            input_price_per_mtok=0.5,
            output_price_per_mtok=1.5,
        )
    )
    model = build_chat_model(settings, data_dir=DATA)
    assert isinstance(model, CompatibleChatOpenAI)
    assert (model.model_name, model.openai_api_base) == ("qwen2.5", "http://127.0.0.1:9/v1")
    assert (model.request_timeout, model.max_retries, model.temperature) == (5, 0, 0.0)
    assert isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == "unused"  # a server without keys
    assert prices_for(settings, model) == Prices(input_per_mtok=0.5, output_per_mtok=1.5)


def test_openai_without_key_or_endpoint_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"llm\.openai\.api_key"):
        build_chat_model(LlmSettings(provider="openai"), data_dir=DATA)


def test_local_without_its_extra_names_what_to_install() -> None:
    with pytest.raises(ModelUnavailable, match="not installed; install the local-llm extra"):
        build_chat_model(LlmSettings(provider="local"), data_dir=DATA, probe=Probe(runtime=False))


def test_local_with_a_model_path_that_is_absent_names_it(tmp_path: Path) -> None:
    settings = LlmSettings(provider="local", local=LlmLocalSettings(model_path=tmp_path / "x.gguf"))
    with pytest.raises(ModelUnavailable, match=r"llm\.local\.model_path .*x\.gguf does not exist"):
        build_chat_model(settings, data_dir=tmp_path, probe=Probe())


def test_scripted_needs_a_script_or_a_script_file() -> None:
    with pytest.raises(ConfigError, match=r"scripted needs llm\.script_file"):
        build_chat_model(LlmSettings(provider="scripted"), data_dir=DATA)


def test_scripted_plays_the_script_file_from_its_first_answer_each_time(tmp_path: Path) -> None:
    script = tmp_path / "answers.yaml"
    script.write_text(
        "- call: k8s_list_pods\n  args: {namespace: payments}\n- say: api-1 restarts most [t1]\n"
    )
    settings = LlmSettings(provider="scripted", script_file=script)
    for _ in range(2):  # every model built plays it from the start
        model = build_chat_model(settings, data_dir=DATA)
        assert isinstance(model, ScriptedChatModel)
        assert model.remaining == 2
        first = model.invoke([HumanMessage("which pods restart most?")])
        assert [c["name"] for c in first.tool_calls] == ["k8s_list_pods"]


def test_a_broken_script_file_names_the_setting_the_file_and_the_answer(tmp_path: Path) -> None:
    script = tmp_path / "answers.yaml"
    script.write_text("- say: fine\n- shout: not an answer\n")
    settings = LlmSettings(provider="scripted", script_file=script)
    for check in (build_chat_model, check_chat_model):
        with pytest.raises(ConfigError, match=r"llm\.script_file: .*answers\.yaml: \[1\]: give"):
            check(settings, data_dir=DATA)
    missing = LlmSettings(provider="scripted", script_file=tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match=r"llm\.script_file: .*absent\.yaml: no such script"):
        check_chat_model(missing, data_dir=DATA)


@pytest.mark.parametrize(
    ("settings", "probe", "error"),
    [
        (LlmSettings(provider="openai"), Probe(), r"openai needs llm\.openai\.api_key"),
        (LlmSettings(provider="local"), Probe(runtime=False), r"install the local-llm extra"),
        (
            LlmSettings(provider="local", local=LlmLocalSettings(model_path=Path("/no/x.gguf"))),
            Probe(),
            r"llm\.local\.model_path /no/x\.gguf does not exist",
        ),
        (LlmSettings(provider="scripted"), Probe(), r"scripted needs llm\.script_file"),
    ],
    ids=["openai-without-key", "local-without-runtime", "local-without-file", "scripted-bare"],
)
def test_start_up_check_refuses_an_explicit_provider_that_cannot_run(
    settings: LlmSettings, probe: Probe, error: str
) -> None:
    with pytest.raises(ConfigError, match=error):
        check_chat_model(settings, data_dir=DATA, probe=probe)


def test_start_up_check_passes_what_can_run_without_loading_anything() -> None:
    keyed = LlmSettings(provider="openai", openai=LlmOpenAISettings(api_key=SecretStr("sk-x")))
    assert check_chat_model(keyed, data_dir=DATA, probe=Probe()).provider == "openai"
    assert (
        check_chat_model(LlmSettings(provider="local"), data_dir=DATA, probe=Probe()).provider
        == "local"
    )
    auto = check_chat_model(LlmSettings(), data_dir=DATA, probe=Probe(runtime=False))
    assert (auto.provider, auto.reason.startswith("auto:")) == ("none", True)


def test_budget_and_prices_come_from_the_settings() -> None:
    settings = LlmSettings()
    assert run_budget(settings) == Budget(max_tool_calls=30, max_tokens=200_000, max_seconds=300)
    scripted = build_chat_model(
        LlmSettings(provider="scripted"), data_dir=DATA, script=[AIMessage("ok")]
    )
    assert prices_for(settings, scripted) == FREE


@tool
def k8s_list_pods(namespace: str) -> str:
    """List the pods of a namespace."""
    return f"api-1 CrashLoopBackOff in {namespace}"


def test_the_scripted_model_replays_tool_calls_and_records_the_tools() -> None:
    call = ToolCall(name="k8s_list_pods", args={"namespace": "payments"}, id="c1")
    model = build_chat_model(
        LlmSettings(provider="scripted"),
        data_dir=DATA,
        script=[AIMessage("", tool_calls=[call]), AIMessage("api-1 is crash looping")],
    )
    assert isinstance(model, ScriptedChatModel)
    bound = model.bind_tools([k8s_list_pods])
    messages: list[BaseMessage] = [HumanMessage("what is wrong in payments?")]
    first = bound.invoke(messages)
    assert first.tool_calls == [{**call, "type": "tool_call"}]
    messages += [first, ToolMessage(k8s_list_pods.invoke(call["args"]), tool_call_id="c1")]
    second = bound.invoke(messages)
    assert second.content == "api-1 is crash looping"
    assert model.bound_tools == [["k8s_list_pods"]]
    assert model.remaining == 0
    assert [len(m) for m in model.received] == [1, 3]


def test_a_script_that_runs_out_says_so() -> None:
    model = ScriptedChatModel(script=[AIMessage("only answer")])
    model.invoke("first")
    with pytest.raises(ScriptExhausted, match=r"called 2 times but its script has 1 answers"):
        model.invoke("second question")


def test_replayed_answers_are_copies() -> None:
    model = ScriptedChatModel(script=[AIMessage("a")])
    model.invoke("x").content = "changed"
    assert model.script[0].content == "a"


def test_assistant_tool_calls_go_out_with_empty_string_content_not_null() -> None:
    model = CompatibleChatOpenAI(
        model_name="m", openai_api_base="http://127.0.0.1:9/v1", openai_api_key=SecretStr("k")
    )
    call = {"name": "k8s_list_pods", "args": {"namespace": "a"}, "id": "c1"}
    payload = model._get_request_payload(
        [
            HumanMessage("pods?"),
            AIMessage("", tool_calls=[call]),
            ToolMessage("api-1 Running", tool_call_id="c1"),
            AIMessage("all fine"),
        ]
    )
    assistant = payload["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == ""
    assert assistant["tool_calls"][0]["function"]["name"] == "k8s_list_pods"
    assert payload["messages"][3]["content"] == "all fine"
    assert all(m["content"] is not None for m in payload["messages"])
