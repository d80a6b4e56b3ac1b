"""A LangChain chat model over a GGUF model run in-process by llama-cpp-python.

langchain-community's `ChatLlamaCpp` is not a dependency we want; this is the
small part of it PixelView needs: messages in OpenAI's shape go to
`Llama.create_chat_completion` (whose chat handler is `TemplateToolsHandler`),
and its answer, tool calls and token usage come back as an `AIMessage`.
`llama_cpp` is imported only by `load_llama`, so the module imports without the
`local-llm` extra.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
    convert_to_openai_messages,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from agents.llm.binding import OpenAIToolsChatModel
from agents.llm.template_handler import TemplateToolsHandler


class ChatCompletionModel(Protocol):
    """The part of `llama_cpp.Llama` the chat model uses."""

    def create_chat_completion(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
    ) -> Any:
        """An OpenAI `chat.completion` dict answering `messages`."""
        ...


def load_llama(
    path: Path, *, n_ctx: int, n_threads: int | None, max_tool_calls: int | None = 1
) -> ChatCompletionModel:
    """Load the GGUF at `path` with `TemplateToolsHandler` as its chat handler.

    Raises:
        ImportError: llama-cpp-python is not installed (the `local-llm` extra).
    """
    import llama_cpp

    # llama_cpp types messages and answers as TypedDicts; the handler and the chat model
    # work on plain dicts, so this boundary is untyped (the local_llm test exercises it).
    llama_class: Any = llama_cpp.Llama
    model: ChatCompletionModel = llama_class(
        model_path=str(path),
        n_ctx=n_ctx,
        n_threads=n_threads,
        chat_handler=TemplateToolsHandler(max_tool_calls=max_tool_calls),
        verbose=False,
    )
    return model


class LlamaCppChat(OpenAIToolsChatModel):
    """A chat model answering through `create_chat_completion` of an in-process model.

    Calls are serialized: one `llama_cpp.Llama` runs one completion at a time.
    Token usage is on each answer's `usage_metadata`, so `MeterCallback` counts it.
    """

    model_name: str = "local"
    temperature: float = 0.0
    max_tokens: int = 512
    """Most tokens one answer may have."""

    _model: ChatCompletionModel = PrivateAttr()
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, *, model: ChatCompletionModel, **data: Any) -> None:
        """Answer with `model` (a loaded `llama_cpp.Llama`, or a stand-in in tests)."""
        super().__init__(**data)
        self._model = model

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        del run_manager
        request: list[dict[str, Any]] = convert_to_openai_messages(messages)
        with self._lock:
            response = self._model.create_chat_completion(
                request,
                tools=kwargs.get("tools"),
                tool_choice=kwargs.get("tool_choice"),
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                stop=stop,
            )
        message = ai_message(response, model_name=self.model_name)
        return ChatResult(
            generations=[ChatGeneration(message=message)],
            llm_output={"model_name": self.model_name},
        )


def ai_message(response: Mapping[str, Any], *, model_name: str) -> AIMessage:
    """The `AIMessage` of an OpenAI `chat.completion` dict: text, tool calls, usage."""
    choice = response["choices"][0]
    raw = choice["message"]
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in raw.get("tool_calls") or []:
        function = call.get("function", {})
        name, arguments, call_id = function.get("name"), function.get("arguments"), call.get("id")
        try:
            args = json.loads(arguments) if isinstance(arguments, str) else arguments
        except ValueError as e:
            invalid.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=str(e)))
            continue
        if isinstance(args, dict):
            calls.append(tool_call(name=name, args=args, id=call_id))
        else:
            error = "arguments are not a JSON object"
            args_text = str(arguments)
            invalid.append(invalid_tool_call(name=name, args=args_text, id=call_id, error=error))
    usage = response.get("usage") or {}
    input_tokens = int(usage.get("prompt_tokens", 0))
    output_tokens = int(usage.get("completion_tokens", 0))
    return AIMessage(
        content=raw.get("content") or "",
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata={
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
        response_metadata={
            "model_name": model_name,
            "finish_reason": choice.get("finish_reason"),
        },
    )
