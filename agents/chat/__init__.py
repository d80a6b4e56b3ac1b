"""Chat: conversations with PixelView, answered step by step, with or without a model.

The web panel, the Slack bot, the CLI and the evals all ask through `ChatRunner`; see
docs/chat.md for the steps, the intents of the `none` mode and the stored records.
"""

from agents.chat.graph import ChatLimits
from agents.chat.model_turn import TurnModel
from agents.chat.runner import ChatRunner, ChatTurn
from agents.chat.steps import (
    STEPS,
    AnswerStep,
    ChatStep,
    ErrorStep,
    IncidentLink,
    Link,
    ResourceLink,
    RunbookLink,
    ToolCallStep,
    ToolResultStep,
)

__all__ = [
    "STEPS",
    "AnswerStep",
    "ChatLimits",
    "ChatRunner",
    "ChatStep",
    "ChatTurn",
    "ErrorStep",
    "IncidentLink",
    "Link",
    "ResourceLink",
    "RunbookLink",
    "ToolCallStep",
    "ToolResultStep",
    "TurnModel",
]
