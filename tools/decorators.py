"""`@read_tool` and `@write_tool`: one async function and one argument model make a tool.

    @read_tool(args=PodLogsArgs, domain=Domain.KUBERNETES, keep="tail")
    async def k8s_pod_logs(args: PodLogsArgs, deps: ToolDeps) -> ToolResult[str]:
        \"\"\"Recent log lines of one pod's container. Use after k8s_list_pods.\"\"\"

The decorated function becomes a `ReadTool` (or a `WriteTool`: a different type, never accepted
where read tools are) that validates the arguments (an invalid one is an error result naming the
field), passes the run's `ToolDeps`, turns `PixelViewError`s into error results with the backend's
message, echoes the call, bounds the output with a note, and records every call with its timing.
Tool bodies hold no try/except. `as_langchain(deps)` binds a tool to a run for a model.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, Literal, TypeVar

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import PixelViewError
from tools.context import Invocation, InvocationStatus, ToolDeps
from tools.result import Keep, ToolError, ToolResult, echo

DEFAULT_MAX_CHARS = 8000
"""Most characters of data a tool shows the model (about 2,000 tokens)."""


class Domain(StrEnum):
    """What a tool reads or acts on; agents are given tools by domain.

    OpenStack, vSphere, StackStorm and forecast tools add their member here.
    """

    KUBERNETES = "kubernetes"
    INCIDENTS = "incidents"
    METRICS = "metrics"
    MEMORY = "memory"


class ToolArgs(BaseModel):
    """Base of every tool's argument model: unknown arguments are refused by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def target(self) -> str | None:
        """What the call is about, for error results (default: the values the caller gave)."""
        given = [str(getattr(self, name)) for name in sorted(self.model_fields_set)]
        return " ".join(given) or None


A = TypeVar("A", bound=ToolArgs)
T = TypeVar("T")
ToolBody = Callable[[A, ToolDeps], Awaitable[ToolResult[T]]]


@dataclass(frozen=True, kw_only=True, eq=False)
class _Tool(Generic[A, T]):
    """What read and write tools share; only the two subclasses are ever built."""

    kind: ClassVar[Literal["read", "write"]]

    name: str
    description: str
    """The model-facing description: the function's docstring."""
    domain: Domain
    args_model: type[A]
    body: ToolBody[A, T]
    max_chars: int = DEFAULT_MAX_CHARS
    keep: Keep = "head"
    narrow: str | None = None
    """How to ask for less, said in the truncation note (`lower tail or since_minutes`)."""

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments, with each field's description, as models see it."""
        return self.args_model.model_json_schema()

    async def run(self, arguments: Mapping[str, Any], deps: ToolDeps) -> ToolResult[T]:
        """Validate, call, map errors, bound and record: the one way a tool is called."""
        at, started = deps.clock.now(), time.perf_counter()
        try:
            result = await self._call(arguments, deps)
        except BaseException:
            self._record(deps, arguments, at, started, None)
            raise
        result = result.model_copy(update={"call_id": deps.recorder.next_id()})
        self._record(deps, arguments, at, started, result)
        return result

    async def _call(self, arguments: Mapping[str, Any], deps: ToolDeps) -> ToolResult[T]:
        try:
            args = self.args_model.model_validate(dict(arguments))
        except ValidationError as e:
            invalid = self._error("invalid_arguments", "pixelview", None, invalid_fields(e))
            return invalid.model_copy(update={"invocation": echo(self.name, dict(arguments))})
        result = self._refusal(args, deps)
        if result is None:
            try:
                result = await self.body(args, deps)
            except PixelViewError as e:
                result = self._error(e.code, self.domain.value, args.target(), e.message)
        called = echo(self.name, args.model_dump(mode="json", exclude_unset=True))
        return result.model_copy(update={"invocation": called}).bounded(
            self.max_chars, self.keep, self.narrow
        )

    def _refusal(self, args: A, deps: ToolDeps) -> ToolResult[T] | None:
        """An error result when this call may not run at all; None when it may."""
        del args, deps
        return None

    def _error(self, code: str, backend: str, target: str | None, message: str) -> ToolResult[T]:
        error = ToolError(
            code=code, backend=backend, operation=self.name, target=target, message=message
        )
        return ToolResult[T].failed(error)

    def _record(
        self,
        deps: ToolDeps,
        arguments: Mapping[str, Any],
        at: datetime,
        started: float,
        result: ToolResult[T] | None,
    ) -> None:
        status: InvocationStatus = "raised" if result is None else result.status.value
        deps.recorder.record(
            Invocation(
                call_id=deps.recorder.next_id(),
                tool=self.name,
                kind=self.kind,
                arguments=dict(arguments),
                status=status,
                error_code=result.error.code if result and result.error else None,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                output_chars=len(result.render()) if result else 0,
                truncated=bool(result and result.truncated),
                at=at,
            )
        )

    def as_langchain(self, deps: ToolDeps) -> StructuredTool:
        """This tool bound to a run: content is the rendered text, the artifact the result."""

        async def call(**arguments: Any) -> tuple[str, ToolResult[T]]:
            result = await self.run(arguments, deps)
            return result.render(), result

        # A JSON schema (not the model class) so that LangChain passes the arguments through
        # unvalidated: `run` validates them and answers a bad one with a result, not an exception.
        return StructuredTool.from_function(
            coroutine=call,
            name=self.name,
            description=self.description,
            args_schema=self.schema(),
            response_format="content_and_artifact",
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class ReadTool(_Tool[A, T]):
    """A tool that only reads. Agents get these by default."""

    kind: ClassVar[Literal["read", "write"]] = "read"


@dataclass(frozen=True, kw_only=True, eq=False)
class WriteTool(_Tool[A, T]):
    """A tool that changes something; it runs only with an approval of this exact call."""

    kind: ClassVar[Literal["read", "write"]] = "write"

    action: str
    """The action approvals and policies name, such as `kubernetes.scale`."""

    def _refusal(self, args: A, deps: ToolDeps) -> ToolResult[T] | None:
        approval = deps.approval
        if approval is None:
            message = f"{self.action} needs an approval and this run has none"
        elif not approval.covers(self.action, args.model_dump(mode="json")):
            message = (
                f"the run's approval is for {approval.action} with {dict(approval.arguments)}, "
                "not for this call"
            )
        else:
            return None
        return self._error("approval_required", "pixelview", args.target(), message)


def invalid_fields(error: ValidationError) -> str:
    """`field: problem` for each invalid argument, as the model named them."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
    )


def _from_function(body: Callable[..., Any]) -> dict[str, Any]:
    """A tool's name, description and body, from the decorated function."""
    doc = inspect.getdoc(body)
    if not doc:
        raise ValueError(f"tool {body.__name__} needs a docstring: it is what the model reads")
    return {"name": body.__name__, "description": doc, "body": body}


def read_tool(
    *,
    args: type[A],
    domain: Domain,
    max_chars: int = DEFAULT_MAX_CHARS,
    keep: Keep = "head",
    narrow: str | None = None,
) -> Callable[[ToolBody[A, T]], ReadTool[A, T]]:
    """Make a read tool of `async def f(args, deps) -> ToolResult`, named after the function."""

    def wrap(body: ToolBody[A, T]) -> ReadTool[A, T]:
        return ReadTool(
            **_from_function(body),
            domain=domain,
            args_model=args,
            max_chars=max_chars,
            keep=keep,
            narrow=narrow,
        )

    return wrap


def write_tool(
    *,
    args: type[A],
    action: str,
    domain: Domain,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Callable[[ToolBody[A, T]], WriteTool[A, T]]:
    """Make a write tool for `action`; it refuses to run without a matching approval."""

    def wrap(body: ToolBody[A, T]) -> WriteTool[A, T]:
        return WriteTool(
            **_from_function(body),
            domain=domain,
            args_model=args,
            max_chars=max_chars,
            action=action,
        )

    return wrap
