"""The tool framework: results, decorators, invocation log, approvals, registry, LangChain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from core.errors import NotFound
from lab.world.world import World
from tests.unit.lab_tools import lab_deps, run
from tools.catalog import default_registry
from tools.context import Approval, ToolDeps
from tools.decorators import Domain, ToolArgs, read_tool, write_tool
from tools.registry import ToolRegistry, bind_read_tools
from tools.result import ToolError, ToolResult, ToolStatus, cut


class RepeatArgs(ToolArgs):
    text: str = Field(description="Text to repeat.")
    times: int = Field(1, ge=1, le=1000, description="How many lines.")


@read_tool(args=RepeatArgs, domain=Domain.KUBERNETES, max_chars=100, narrow="lower times")
async def repeat(args: RepeatArgs, deps: ToolDeps) -> ToolResult[str]:
    """Repeat a text on numbered lines."""
    del deps
    if args.text == "missing":
        raise NotFound('kubernetes lab: pods "missing" not found')
    if args.text == "bug":
        raise RuntimeError("a bug, not a backend's answer")
    return ToolResult.ok("\n".join(f"{i} {args.text}" for i in range(args.times)))


class ScaleArgs(ToolArgs):
    namespace: str = Field(description="Namespace of the Deployment.")
    name: str = Field(description="Name of the Deployment.")
    replicas: int = Field(ge=0, le=50, description="Replicas wanted.")


@write_tool(args=ScaleArgs, action="kubernetes.scale", domain=Domain.KUBERNETES)
async def k8s_scale(args: ScaleArgs, deps: ToolDeps) -> ToolResult[str]:
    """Scale a Deployment."""
    workload = await deps.k8s(None).scale(
        kind="Deployment", namespace=args.namespace, name=args.name, replicas=args.replicas
    )
    return ToolResult.ok(f"{workload.namespace}/{workload.name}: {workload.desired} replicas")


@pytest.fixture
def world() -> World:
    return World.build(7)


def test_a_result_renders_the_call_its_status_and_compact_data() -> None:
    result = ToolResult.ok([ToolError(code="c", backend="b", operation="o", message="m")])
    result = result.model_copy(update={"invocation": 'x(a="1")'})
    assert (
        result.render()
        == 'x(a="1") -> ok\n{"code":"c","backend":"b","operation":"o","message":"m"}'
    )
    flagged = ToolResult.ok("line", untrusted=True).render()
    assert flagged.startswith("tool -> ok (untrusted:") and flagged.endswith("\nline")
    empty = ToolResult[str].no_data("no log lines in the last 15m")
    assert empty.status == ToolStatus.NO_DATA
    assert empty.render() == "tool -> no_data\nno log lines in the last 15m"


def test_over_long_output_is_cut_at_lines_with_a_note_never_silently() -> None:
    text = "\n".join(f"line {i:02d}" for i in range(30))  # 30 lines of 7 characters
    head = ToolResult.ok(text).bounded(50, "head", "ask for less")
    assert head.shown == "\n".join(f"line {i:02d}" for i in range(6))
    assert head.truncated == "showing the first 6 of 30 lines (47 of 239 characters); ask for less"
    assert head.render().endswith("[truncated: " + head.truncated + "]")
    assert head.data == text  # the artifact keeps everything; the model sees the bound
    tail = ToolResult.ok(text).bounded(50, "tail")
    assert tail.shown is not None and tail.shown.endswith("line 29")
    assert tail.truncated is not None and tail.truncated.startswith("showing the last 6 of 30")
    assert ToolResult.ok(text).bounded(1000, "head").truncated is None
    assert cut("x" * 30, 10, "head") == "x" * 10  # no line to cut at: cut where the bound is


def test_a_read_tool_runs_echoes_bounds_and_records(world: World) -> None:
    deps = lab_deps(world)
    small = run(repeat.run({"text": "hi", "times": 2}, deps))
    assert small.status == ToolStatus.OK and small.data == "0 hi\n1 hi"
    assert small.invocation == 'repeat(text="hi", times=2)'
    big = run(repeat.run({"text": "hello", "times": 50}, deps))
    assert big.truncated is not None and big.truncated.endswith("; lower times")
    assert "[truncated: showing the first" in big.render()
    first, second = deps.recorder.entries
    assert (first.tool, first.kind, first.status, first.truncated) == (
        "repeat",
        "read",
        "ok",
        False,
    )
    assert first.arguments == {"text": "hi", "times": 2} and first.at == world.now()
    assert first.output_chars == len(small.render()) and first.duration_ms >= 0
    assert second.truncated and second.output_chars == len(big.render())


def test_invalid_arguments_are_an_error_result_naming_each_field(world: World) -> None:
    deps = lab_deps(world)
    result = run(repeat.run({"times": 0, "colour": "red"}, deps))
    assert result.status == ToolStatus.ERROR and result.error is not None
    assert result.error.code == "invalid_arguments"
    assert result.error.message == (
        "text: Field required; times: Input should be greater than or equal to 1; "
        "colour: Extra inputs are not permitted"
    )
    assert "hint: correct the named arguments" in result.render()
    assert deps.recorder.entries[0].error_code == "invalid_arguments"


def test_backend_errors_are_results_and_bugs_are_raised_and_recorded(world: World) -> None:
    deps = lab_deps(world)
    missing = run(repeat.run({"text": "missing"}, deps))
    assert missing.error == ToolError(
        code="not_found",
        backend="kubernetes",
        operation="repeat",
        target="missing",
        message='kubernetes lab: pods "missing" not found',
    )
    with pytest.raises(RuntimeError, match="a bug"):
        run(repeat.run({"text": "bug"}, deps))
    assert [e.status for e in deps.recorder.entries] == ["error", "raised"]


def test_a_write_tool_refuses_without_an_approval_of_this_very_call(world: World) -> None:
    call = {"namespace": "payments", "name": "ledger", "replicas": 4}
    refused = run(k8s_scale.run(call, lab_deps(world)))
    assert refused.error is not None and refused.error.code == "approval_required"
    assert refused.error.message == "kubernetes.scale needs an approval and this run has none"
    other = Approval(
        action="kubernetes.scale",
        arguments={**call, "replicas": 0},
        approved_by="user:alice",
        approved_at=world.now(),
    )
    mismatch = run(k8s_scale.run(call, lab_deps(world, approval=other)))
    assert mismatch.error is not None and mismatch.error.code == "approval_required"
    assert world.kube.get("deployments", "ledger", "payments")["spec"]["replicas"] == 2

    approved = Approval(
        action="kubernetes.scale", arguments=call, approved_by="user:alice", approved_at=world.now()
    )
    deps = lab_deps(world, approval=approved)
    done = run(k8s_scale.run(call, deps))
    assert done.data == "payments/ledger: 4 replicas"
    assert world.kube.get("deployments", "ledger", "payments")["spec"]["replicas"] == 4
    assert deps.recorder.entries[0].kind == "write"


def test_write_tools_never_pass_for_read_tools(world: World) -> None:
    registry = ToolRegistry()
    registry.add_read(repeat)
    registry.add_write(k8s_scale)
    assert registry.read_tools() == [repeat]
    assert registry.read_tools([Domain.KUBERNETES]) == [repeat]
    assert registry.write_tool("kubernetes.scale") is k8s_scale
    with pytest.raises(TypeError, match="'k8s_scale' is not a read tool"):
        registry.add_read(k8s_scale)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a read tool"):
        bind_read_tools([repeat, k8s_scale], lab_deps(world))  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not a write tool"):
        registry.add_write(repeat)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already registered"):
        registry.add_read(repeat)


def test_the_default_registry_has_read_tools_by_domain_and_no_write_tool() -> None:
    registry = default_registry()
    assert registry.domains == [Domain.INCIDENTS, Domain.KUBERNETES, Domain.MEMORY, Domain.METRICS]
    assert registry.write_tools() == []
    names = [t.name for t in registry.read_tools(["metrics", "incidents"])]
    assert names == [
        "incident_get",
        "incident_timeline",
        "incident_alerts",
        "incidents_related",
        "incidents_open",
        "incident_triage",
        "oncall_now",
        "metrics_query",
    ]
    assert all(t.description and t.schema()["properties"] for t in registry.read_tools())


def test_a_langchain_tool_carries_descriptions_and_returns_rendered_text(world: World) -> None:
    deps = lab_deps(world)
    [tool] = bind_read_tools([repeat], deps)
    spec = convert_to_openai_tool(tool)["function"]
    assert spec["name"] == "repeat" and spec["description"] == "Repeat a text on numbered lines."
    assert spec["parameters"]["properties"]["text"]["description"] == "Text to repeat."
    assert spec["parameters"]["required"] == ["text"]
    message = run(
        tool.ainvoke({"type": "tool_call", "id": "c1", "name": "repeat", "args": {"text": "a"}})
    )
    assert isinstance(message, ToolMessage)
    assert message.content == '[t1] repeat(text="a") -> ok\n0 a'
    assert isinstance(message.artifact, ToolResult) and message.artifact.data == "0 a"
    invalid = run(tool.ainvoke({"times": "many"}))
    assert invalid.startswith('[t2] repeat(times="many") -> error\ninvalid_arguments')
    assert len(deps.recorder) == 2


def test_a_tool_needs_a_docstring_for_the_model() -> None:
    async def undocumented(args: RepeatArgs, deps: ToolDeps) -> ToolResult[str]:
        del deps
        return ToolResult.ok(args.text)

    with pytest.raises(ValueError, match="undocumented needs a docstring"):
        read_tool(args=RepeatArgs, domain=Domain.METRICS)(undocumented)


def test_the_run_clock_stamps_invocations(world: World) -> None:
    deps = lab_deps(world)
    run(repeat.run({"text": "x"}, deps))
    world.advance(timedelta(minutes=5))
    run(repeat.run({"text": "x"}, deps))
    first, second = deps.recorder.entries
    assert second.at - first.at == timedelta(minutes=5)
