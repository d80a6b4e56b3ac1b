"""Language models: the one place PixelView builds them.

`build_chat_model` turns the `llm` settings into a LangChain chat model:

- `openai`: any OpenAI-compatible endpoint (`CompatibleChatOpenAI`);
- `local`: a GGUF run in-process by llama-cpp-python (`LlamaCppChat`), by
  default Qwen2.5-Coder-1.5B assembled from the `local-llm` extra's packages;
- `none`: no model (`None`): the triage runs its deterministic analyzers only;
- `scripted`: replays a given script or `llm.script_file` (`ScriptedChatModel`),
  for tests, evals and trying the panel without a model;
- `auto`: openai when configured, else local when installed, else none.

Agents never read `Settings` (an import-linter contract): the settings section
is passed in and read through the `LlmConfig` protocol below, which
`core.settings.LlmSettings` satisfies.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from pydantic import SecretStr

from agents.budget import FREE, Budget, Prices
from agents.llm.cassette import RecordingChatModel, ReplayChatModel, ReplayMismatch
from agents.llm.llama import LlamaCppChat, load_llama
from agents.llm.local_model import DEFAULT_MODEL, ModelUnavailable, ensure_model, missing_parts
from agents.llm.openai_compat import CompatibleChatOpenAI
from agents.llm.script_file import ScriptError, load_script
from agents.llm.scripted import ScriptedChatModel, ScriptExhausted
from core.errors import ConfigError
from core.logs import get_logger

__all__ = [
    "ChatModel",
    "LlmConfig",
    "ModelUnavailable",
    "ProviderChoice",
    "RecordingChatModel",
    "ReplayChatModel",
    "ReplayMismatch",
    "ScriptExhausted",
    "ScriptedChatModel",
    "build_chat_model",
    "check_chat_model",
    "default_model_dir",
    "prices_for",
    "resolve_provider",
    "run_budget",
]

log = get_logger(__name__)

ChatModel = BaseChatModel
"""What the agents are given: any LangChain chat model that can bind tools."""

Provider = Literal["openai", "local", "none", "scripted"]


class OpenAIConfig(Protocol):
    """`llm.openai` settings."""

    @property
    def base_url(self) -> str | None: ...
    @property
    def model(self) -> str: ...
    @property
    def api_key(self) -> SecretStr | None: ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def temperature(self) -> float: ...
    @property
    def input_price_per_mtok(self) -> float: ...
    @property
    def output_price_per_mtok(self) -> float: ...


class LocalConfig(Protocol):
    """`llm.local` settings."""

    @property
    def model_path(self) -> Path | None: ...
    @property
    def n_ctx(self) -> int: ...
    @property
    def n_threads(self) -> int | None: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def temperature(self) -> float: ...


class BudgetConfig(Protocol):
    """`llm.budget` settings."""

    @property
    def max_tool_calls(self) -> int: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def max_seconds(self) -> float: ...


class LlmConfig(Protocol):
    """The `llm` settings section, as the agents read it."""

    @property
    def provider(self) -> str:
        """`auto`, `openai`, `local`, `none` or `scripted`."""
        ...

    @property
    def script_file(self) -> Path | None:
        """The `scripted` provider's answers (a YAML file), when no script is given."""
        ...

    @property
    def openai(self) -> OpenAIConfig:
        """The OpenAI-compatible endpoint."""
        ...

    @property
    def local(self) -> LocalConfig:
        """The in-process model."""
        ...

    @property
    def budget(self) -> BudgetConfig:
        """Default limits of one run."""
        ...


@dataclass(frozen=True)
class ProviderChoice:
    """The provider to use, and why (logged at start-up)."""

    provider: Provider
    reason: str


class LocalProbe(Protocol):
    """Whether the local provider can run here; each answer is a reason it cannot, or None."""

    def runtime_missing(self) -> str | None:
        """Why llama-cpp-python cannot be used, or None."""
        ...

    def model_missing(self, model_path: Path | None, model_dir: Path) -> str | None:
        """Why no model file is there or can be assembled, or None."""
        ...


class InstalledProbe:
    """Looks at this Python environment and the file system (loads nothing)."""

    def runtime_missing(self) -> str | None:
        """Why llama-cpp-python cannot be used, or None."""
        if importlib.util.find_spec("llama_cpp") is None:
            return "llama-cpp-python is not installed (the local-llm extra)"
        return None

    def model_missing(self, model_path: Path | None, model_dir: Path) -> str | None:
        """Why no model file is there or can be assembled, or None."""
        if model_path is not None:
            return None if model_path.is_file() else f"llm.local.model_path {model_path} is absent"
        if (model_dir / DEFAULT_MODEL.filename).is_file():
            return None
        missing = missing_parts(DEFAULT_MODEL)
        if missing:
            return f"the default model's packages are not installed ({len(missing)} missing)"
        return None


def default_model_dir(data_dir: Path) -> Path:
    """Where the default local model is assembled."""
    return data_dir / "models"


def resolve_provider(
    config: LlmConfig, *, data_dir: Path, probe: LocalProbe | None = None
) -> ProviderChoice:
    """The provider `config` asks for; for `auto`, the first that can run here."""
    if config.provider != "auto":
        return ProviderChoice(_provider(config.provider), "set by llm.provider")
    if config.openai.base_url or config.openai.api_key is not None:
        which = "llm.openai.base_url" if config.openai.base_url else "llm.openai.api_key"
        return ProviderChoice("openai", f"auto: {which} is set")
    probe = probe or InstalledProbe()
    why_not = probe.runtime_missing() or probe.model_missing(
        config.local.model_path, default_model_dir(data_dir)
    )
    if why_not is None:
        return ProviderChoice("local", "auto: no OpenAI endpoint set; the local model is installed")
    return ProviderChoice("none", f"auto: no OpenAI endpoint set and no local model: {why_not}")


def check_chat_model(
    config: LlmConfig, *, data_dir: Path, probe: LocalProbe | None = None
) -> ProviderChoice:
    """The provider `config` asks for, checked without loading or connecting anything.

    What `serve`, `worker` and `demo` call at start-up, so that a provider set explicitly
    that cannot run stops them at once rather than at the first triage.

    Raises:
        ConfigError: what the provider needs is missing (named).
    """
    probe = probe or InstalledProbe()
    choice = resolve_provider(config, data_dir=data_dir, probe=probe)
    if choice.provider == "openai" and config.openai.api_key is None and not config.openai.base_url:
        raise ConfigError(_OPENAI_NEEDS)
    if choice.provider == "scripted":
        _script_file(config.script_file)
    if choice.provider == "local":
        problem = _local_problem(config.local, probe)
        if problem is not None:
            raise ModelUnavailable(problem)
    return choice


def build_chat_model(
    config: LlmConfig,
    *,
    data_dir: Path,
    script: Sequence[AIMessage] | None = None,
    probe: LocalProbe | None = None,
) -> ChatModel | None:
    """The chat model `config` asks for, or None for `none`.

    `script` is the answers of the `scripted` provider (else `llm.script_file`). A local
    default model is assembled (and hash-checked) under `data_dir/models` on first use.

    Raises:
        ConfigError: the chosen provider cannot be built (what is missing is named).
    """
    choice = resolve_provider(config, data_dir=data_dir, probe=probe)
    log.info("llm.provider", provider=choice.provider, reason=choice.reason)
    if choice.provider == "none":
        return None
    if choice.provider == "scripted":
        answers = list(script) if script is not None else _script_file(config.script_file)
        return ScriptedChatModel(script=answers)
    if choice.provider == "openai":
        return _openai(config.openai)
    return _local(config.local, default_model_dir(data_dir), probe or InstalledProbe())


def model_mode(model: ChatModel) -> str:
    """`provider:model` as a report records who wrote it (`openai:gpt-4o-mini`).

    A recording or a replay is the recorded model's mode: the same model wrote the answers.
    """
    if isinstance(model, RecordingChatModel | ReplayChatModel):
        return model.mode
    if isinstance(model, CompatibleChatOpenAI):
        return f"openai:{model.model_name}"
    if isinstance(model, LlamaCppChat):
        return f"local:{model.model_name}"
    if isinstance(model, ScriptedChatModel):
        return "scripted"
    return type(model).__name__


def run_budget(config: LlmConfig) -> Budget:
    """The default budget of one agent run."""
    return Budget(
        max_tool_calls=config.budget.max_tool_calls,
        max_tokens=config.budget.max_tokens,
        max_seconds=config.budget.max_seconds,
    )


def prices_for(config: LlmConfig, model: ChatModel | None) -> Prices:
    """The token prices of `model`: the configured ones for an endpoint, else free."""
    if isinstance(model, RecordingChatModel):
        return prices_for(config, model.inner)
    if isinstance(model, CompatibleChatOpenAI):
        return Prices(
            input_per_mtok=config.openai.input_price_per_mtok,
            output_per_mtok=config.openai.output_price_per_mtok,
        )
    return FREE


_PROVIDERS: dict[str, Provider] = {
    "openai": "openai",
    "local": "local",
    "none": "none",
    "scripted": "scripted",
}


def _provider(name: str) -> Provider:
    if name in _PROVIDERS:
        return _PROVIDERS[name]
    raise ConfigError(f"llm.provider {name!r} is not one of auto, openai, local, none, scripted")


def _script_file(path: Path | None) -> list[AIMessage]:
    """The answers of `llm.script_file`.

    Raises:
        ConfigError: it is unset, or the file cannot be used (the file and the answer named).
    """
    if path is None:
        raise ConfigError(
            "llm.provider scripted needs llm.script_file (a YAML file of the model's answers)"
        )
    try:
        return load_script(path)
    except ScriptError as e:
        raise ConfigError(f"llm.script_file: {e}") from e


_OPENAI_NEEDS = (
    "llm.provider openai needs llm.openai.api_key "
    "(or llm.openai.base_url for a server that needs no key)"
)


def _openai(config: OpenAIConfig) -> CompatibleChatOpenAI:
    if config.api_key is None and not config.base_url:
        raise ConfigError(_OPENAI_NEEDS)
    # A server without keys still gets one: the client refuses to start without, and
    # OPENAI_API_KEY from the environment must not leak to a third-party endpoint.
    api_key = config.api_key or SecretStr("unused")
    return CompatibleChatOpenAI(
        model_name=config.model,
        openai_api_base=config.base_url,
        openai_api_key=api_key,
        request_timeout=config.timeout_s,
        max_retries=config.max_retries,
        temperature=config.temperature,
        use_responses_api=False,
        stream_usage=True,
    )


def _local_problem(config: LocalConfig, probe: LocalProbe) -> str | None:
    """Why the local model cannot run (the runtime or the configured file missing), or None."""
    missing = probe.runtime_missing()
    if missing is not None:
        return (
            f"llm.provider local cannot run: {missing}; install the local-llm extra "
            "(uv sync --extra local-llm; it compiles llama.cpp)"
        )
    if config.model_path is not None and not config.model_path.is_file():
        return f"llm.local.model_path {config.model_path} does not exist"
    return None


def _local(config: LocalConfig, model_dir: Path, probe: LocalProbe) -> LlamaCppChat:
    problem = _local_problem(config, probe)
    if problem is not None:
        raise ModelUnavailable(problem)
    path = config.model_path if config.model_path is not None else ensure_model(model_dir)
    log.info("llm.local.loading", path=str(path), n_ctx=config.n_ctx)
    model = load_llama(path, n_ctx=config.n_ctx, n_threads=config.n_threads)
    return LlamaCppChat(
        model=model,
        model_name=path.stem,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
    )
