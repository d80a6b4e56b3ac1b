"""Recording a model's exchanges, and replaying them: re-scoring a run for free, exactly.

    recorder = RecordingChatModel(inner=model, folder=Path("rec/k8s-oom/1"))  # calls `model`
    replayer = ReplayChatModel.load(Path("rec/k8s-oom/1"))                      # calls nothing

A folder (a cassette) holds `meta.json` (the recorded model's mode) and one `NNN.json` per
call: the request (messages, tools, tool choice) and the answer (text, tool calls, token
usage). Replay answers the Nth call with the Nth recorded answer after checking that the
request is the recorded one; any difference fails loudly (`ReplayMismatch`, naming the call
and the first difference), since an answer to another question scores nothing. Requests are
compared on what the model reads: message types, texts, tool calls and their ids, the
tools' names and schemas; never on ids or metadata that differ from run to run.

Only a time budget makes a run depend on the clock: a recorded run that a slow model made
run out of seconds stopped after its last recorded call, while its replay takes no time.
`note_ending` records that the run ended on its budget (`meta.json`: `ended`, `max_seconds`),
and the replay answers the call after the last recorded one with the same `BudgetExceeded`
the meter raised, so the run ends where the recorded one did. (When the recorded run was
stopped at a tool call rather than at a model call, the replay runs that one tool call more
before it stops.)
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from agents.budget import BudgetExceeded
from agents.llm.binding import OpenAIToolsChatModel
from core.errors import PixelViewError

META = "meta.json"


class ReplayMismatch(PixelViewError):
    """A replayed run asked something the recording did not (or asked more often)."""

    code = "replay_mismatch"


def request_record(
    messages: list[BaseMessage], tools: list[dict[str, Any]] | None, tool_choice: Any
) -> dict[str, Any]:
    """What the model is asked, as recorded and compared."""
    return {
        "messages": [_message(m) for m in messages],
        "tools": tools or [],
        "tool_choice": tool_choice,
    }


def _message(message: BaseMessage) -> dict[str, Any]:
    record: dict[str, Any] = {"type": message.type, "text": message.text}
    if isinstance(message, AIMessage) and message.tool_calls:
        record["tool_calls"] = [
            {"id": c.get("id"), "name": c["name"], "args": c["args"]} for c in message.tool_calls
        ]
    if isinstance(message, ToolMessage):
        record["tool_call_id"] = message.tool_call_id
    return record


def answer_record(message: AIMessage) -> dict[str, Any]:
    """A model's answer as a cassette keeps it."""
    return {
        "content": message.content,
        "tool_calls": [
            {"id": c.get("id"), "name": c["name"], "args": c["args"]} for c in message.tool_calls
        ],
        "usage_metadata": dict(message.usage_metadata) if message.usage_metadata else None,
        "model_name": message.response_metadata.get("model_name"),
    }


def answer_message(record: dict[str, Any]) -> AIMessage:
    """The recorded answer, as the model gave it."""
    return AIMessage(
        content=record["content"],
        tool_calls=[
            {"id": c["id"], "name": c["name"], "args": c["args"], "type": "tool_call"}
            for c in record["tool_calls"]
        ],
        usage_metadata=record["usage_metadata"],
        response_metadata={"model_name": record.get("model_name")},
    )


class RecordingChatModel(OpenAIToolsChatModel):
    """Calls `inner` and writes every exchange into `folder`, in order."""

    inner: BaseChatModel
    folder: Path
    mode: str
    """The inner model's mode (`local:qwen2.5...`), kept in `meta.json` for the replay."""

    _count: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        del run_manager  # the outer call is metered; the inner one must not count again
        tools = kwargs.pop("tools", None)
        tool_choice = kwargs.pop("tool_choice", None)
        model: Any = self.inner
        if tools:
            model = model.bind_tools(tools, tool_choice=tool_choice)
        answer = model.invoke(messages, stop=stop, **kwargs)
        if not isinstance(answer, AIMessage):
            raise TypeError(f"the recorded model answered a {type(answer).__name__}")
        with self._lock:
            self._count += 1
            number = self._count
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / META).write_text(json.dumps({"mode": self.mode}), encoding="utf-8")
            # Keys keep their order: a tool call's arguments come back as the model gave them,
            # and the conversation that quotes them reads the same in the replay.
            exchange = {
                "request": request_record(messages, tools, tool_choice),
                "answer": answer_record(answer),
            }
            (self.folder / f"{number:03d}.json").write_text(
                json.dumps(exchange, indent=1, default=str), encoding="utf-8"
            )
        name = answer.response_metadata.get("model_name") or self.mode
        return ChatResult(
            generations=[ChatGeneration(message=answer)], llm_output={"model_name": name}
        )

    def note_ending(self, *, budget_seconds: float | None) -> None:
        """Record that the run ended on its budget (`budget_seconds`: its time limit)."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            meta = {"mode": self.mode, "ended": "budget", "max_seconds": budget_seconds}
            (self.folder / META).write_text(json.dumps(meta), encoding="utf-8")


class ReplayChatModel(OpenAIToolsChatModel):
    """Answers from a cassette, checking each request against the recorded one."""

    folder: Path
    exchanges: list[dict[str, Any]]
    mode: str
    ended_on_budget: float | None = None
    """The recorded run ran out of its budget (of this many seconds) after its last call."""

    _position: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def load(cls, folder: Path) -> ReplayChatModel:
        """The cassette in `folder`.

        Raises:
            ReplayMismatch: there is no recording there (the run was never recorded).
        """
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ReplayMismatch(f"{folder}: no recording (no {META}); record it first") from e
        exchanges = [
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("[0-9]*.json"))
        ]
        budget = float(meta.get("max_seconds") or 0) if meta.get("ended") == "budget" else None
        return cls(
            folder=folder, exchanges=exchanges, mode=str(meta["mode"]), ended_on_budget=budget
        )

    @property
    def _llm_type(self) -> str:
        return "replay"

    @property
    def remaining(self) -> int:
        """Recorded answers not replayed yet."""
        with self._lock:
            return len(self.exchanges) - self._position

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        del stop, run_manager
        asked = request_record(messages, kwargs.get("tools"), kwargs.get("tool_choice"))
        with self._lock:
            number = self._position + 1
            if self._position >= len(self.exchanges) and self.ended_on_budget is not None:
                limit = self.ended_on_budget
                raise BudgetExceeded("seconds", used=limit, allowed=limit)
            if self._position >= len(self.exchanges):
                raise ReplayMismatch(
                    f"{self.folder}: call {number} was not recorded (the recording has "
                    f"{len(self.exchanges)}); the run now asks more than it did"
                )
            exchange = self.exchanges[self._position]
            self._position += 1
        recorded = json.loads(json.dumps(exchange["request"]))
        now = json.loads(json.dumps(asked, default=str))
        if now != recorded:
            raise ReplayMismatch(
                f"{self.folder}: call {number} differs from the recording: "
                f"{first_difference(recorded, now)}"
            )
        answer = answer_message(exchange["answer"])
        return ChatResult(
            generations=[ChatGeneration(message=answer)],
            llm_output={"model_name": exchange["answer"].get("model_name") or self.mode},
        )


def first_difference(recorded: Any, now: Any, path: str = "") -> str:
    """Where two JSON values first differ, as `path: recorded ... now ...`."""
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in sorted(recorded.keys() | now.keys()):
            if recorded.get(key) != now.get(key):
                return first_difference(recorded.get(key), now.get(key), f"{path}.{key}")
    if isinstance(recorded, list) and isinstance(now, list):
        for index, (a, b) in enumerate(zip(recorded, now, strict=False)):
            if a != b:
                return first_difference(a, b, f"{path}[{index}]")
        return f"{path or 'request'}: {len(recorded)} items recorded, {len(now)} now"
    return f"{path or 'request'}: recorded {_short(recorded)}, now {_short(now)}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 160 else text[:157] + "..."
