"""Tool binding for the chat models of our own (local, scripted): OpenAI's tool format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool


class OpenAIToolsChatModel(BaseChatModel):
    """A chat model that receives bound tools as OpenAI's API does.

    `bind_tools` converts the tools to OpenAI's `{"type": "function", ...}` dicts
    and LangChain's `tool_choice` names to OpenAI's, and binds both: `_generate`
    receives them as the `tools` and `tool_choice` keyword arguments.
    """

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind `tools` in OpenAI's format; `tool_choice` as LangChain names it."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        self._on_bind(formatted)
        if tool_choice is not None:
            kwargs["tool_choice"] = openai_tool_choice(tool_choice)
        return self.bind(tools=formatted, **kwargs)

    def _on_bind(self, tools: list[dict[str, Any]]) -> None:
        """Called with the converted tools of each `bind_tools`; does nothing here."""


def openai_tool_choice(choice: str) -> str | dict[str, Any]:
    """OpenAI's `tool_choice` for LangChain's: `any` is `required`, a tool name forces it."""
    if choice in ("auto", "none", "required"):
        return choice
    if choice == "any":
        return "required"
    return {"type": "function", "function": {"name": choice}}
