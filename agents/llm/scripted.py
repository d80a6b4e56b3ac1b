"""A chat model that replays a script: deterministic agent runs for tests and evals."""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from agents.llm.binding import OpenAIToolsChatModel


class ScriptExhausted(RuntimeError):
    """The model was called more times than its script has answers."""


class ScriptedChatModel(OpenAIToolsChatModel):
    """Answers each call with the next `AIMessage` of its script, tool calls included.

    `bind_tools` records the names of the tools bound (`bound_tools`, one list per
    call of `bind_tools`) and returns the model itself, bound; the script decides
    what is called. Every call's input is kept in `received`. One script is shared
    by the model and all its bindings, so a graph that binds tools per node still
    walks one script in order.
    """

    script: list[AIMessage]
    """The answers, in order."""
    model_name: str = "scripted"

    _position: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _bound_tools: list[list[str]] = PrivateAttr(default_factory=list)
    _received: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def remaining(self) -> int:
        """Answers not given yet."""
        with self._lock:
            return len(self.script) - self._position

    @property
    def bound_tools(self) -> list[list[str]]:
        """The tool names of each `bind_tools` call, in order."""
        with self._lock:
            return [list(names) for names in self._bound_tools]

    @property
    def received(self) -> list[list[BaseMessage]]:
        """The messages each call received, in order."""
        with self._lock:
            return [list(messages) for messages in self._received]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        del stop, run_manager, kwargs
        with self._lock:
            if self._position >= len(self.script):
                raise ScriptExhausted(
                    f"the scripted model was called {self._position + 1} times but its script "
                    f"has {len(self.script)} answers; last input: {_describe(messages)}"
                )
            answer = self.script[self._position]
            self._position += 1
            self._received.append(list(messages))
        return ChatResult(
            generations=[ChatGeneration(message=answer.model_copy(deep=True))],
            llm_output={"model_name": self.model_name},
        )

    def _on_bind(self, tools: list[dict[str, Any]]) -> None:
        with self._lock:
            self._bound_tools.append([tool["function"]["name"] for tool in tools])


def _describe(messages: list[BaseMessage]) -> str:
    if not messages:
        return "no messages"
    last = messages[-1]
    return f"{last.type}: {str(last.text)[:200]!r}"
