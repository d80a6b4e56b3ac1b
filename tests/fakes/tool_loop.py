"""The smallest tool-calling loop: ask the model, run the tools it calls, until it answers.

For tests of the providers, which need a real loop but not the product's graphs.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool


def run_tool_loop(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    messages: list[BaseMessage],
    *,
    config: RunnableConfig | None = None,
    max_turns: int = 4,
) -> AIMessage:
    """The model's last answer; `messages` grows with every answer and tool result but it."""
    by_name = {tool.name: tool for tool in tools}
    agent = model.bind_tools(list(tools))
    for _ in range(max_turns):
        answer = agent.invoke(messages, config=config)
        if not answer.tool_calls:
            return answer
        messages.append(answer)
        for call in answer.tool_calls:
            result = by_name[call["name"]].invoke(call["args"], config=config)
            messages.append(ToolMessage(str(result), tool_call_id=call["id"]))
    raise AssertionError(f"no answer after {max_turns} turns: {messages[-1]!r}")
