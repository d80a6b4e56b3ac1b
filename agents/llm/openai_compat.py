"""langchain-openai's `ChatOpenAI`, fixed for servers that are only OpenAI-compatible."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_openai import ChatOpenAI


class CompatibleChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` whose requests every OpenAI-compatible server accepts.

    langchain-openai sends an assistant message that carries tool calls with
    `"content": null`, as OpenAI's API allows. Some compatible servers reject it
    (llama-cpp-python's server answers 422; others want a string): the request
    payload carries `""` instead, which OpenAI accepts too.
    """

    def _get_request_payload(
        self,
        input_: LanguageModelInput,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        for message in payload.get("messages", []):
            if message.get("role") == "assistant" and message.get("content") is None:
                message["content"] = ""
        return payload
