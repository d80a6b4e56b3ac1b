"""The chat runner on the real database (SQLite and PostgreSQL): turns stored with their steps,
conversations continued from their LangGraph checkpoint, failures and walk-aways recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from sqlalchemy import Engine

from agents.budget import Budget
from agents.chat import AnswerStep, ChatRunner, ChatStep, ErrorStep, TurnModel
from agents.chat.runner import graph_thread
from agents.checkpoints import open_checkpointer
from agents.llm import ScriptedChatModel
from core.db.engine import make_session_factory
from incidents import chat
from incidents.audit import list_audit
from incidents.models.chat import ChatChannel
from incidents.triage import RunUsage, finish_run, start_run
from incidents.triage_report import Evidence, ResourceRef, TriageReport
from lab.kube.port import LabKubernetes
from lab.world.world import World
from tests.integration.conftest import Api
from tests.integration.test_incident_tools import fire
from tests.integration.test_ingest_api import am_alert
from tests.unit.lab_tools import oom_world
from tests.unit.supervisor_lab import USAGE, call, pod_of, say


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def runner_on(
    engine: Engine,
    database_url: str,
    world: World,
    model: Callable[[], TurnModel | None] = lambda: None,
) -> ChatRunner:
    return ChatRunner(
        sessions=make_session_factory(engine),
        database_url=database_url,
        clock=world.clock,
        kubernetes={"lab": LabKubernetes(world.kube)},
        model=model,
    )


async def collect(steps: AsyncIterator[ChatStep]) -> list[ChatStep]:
    return [step async for step in steps]


def ask(runner: ChatRunner, thread_id: int, question: str, actor: str = "user:1") -> list[Any]:
    return list(run(collect(runner.ask(thread_id, question, actor=actor))))


def test_turns_are_stored_with_their_steps_answer_usage_and_audit(
    engine: Engine, database_url: str
) -> None:
    runner = runner_on(engine, database_url, oom_world())
    thread = run(runner.open_thread(owner="user:1", channel=ChatChannel.WEB))
    first = ask(runner, thread.id, "Which pods in payments restart most?")
    second = ask(runner, thread.id, "which pods are failing there?", actor="user:2")

    sessions = make_session_factory(engine)
    with sessions() as session:
        stored = chat.list_messages(session, thread.id)
        assert [m.status for m in stored] == ["answered", "answered"]
        assert [m.asked_by for m in stored] == ["user:1", "user:2"]
        assert [s["kind"] for s in stored[0].steps] == ["tool_call", "tool_result", "answer"]
        assert stored[0].steps == [s.model_dump(mode="json") for s in first]
        assert stored[1].answer == second[-1].text and stored[1].mode == "none"
        assert [c["call_id"] for c in stored[1].tool_calls] == ["t2", "t3"]
        assert [c["tool"] for c in stored[1].tool_calls] == ["k8s_list_pods", "k8s_analyze"]
        assert stored[1].finished_at is not None and stored[1].llm_calls == 0
        threads = chat.list_threads(session, owner="user:1")
        assert [t.title for t in threads] == ["Which pods in payments restart most?"]
        audited = list_audit(session, target_type="chat_thread", target_id=str(thread.id))
        assert [(a.action, a.actor) for a in reversed(audited)] == [
            ("chat.thread.create", "user:1"),
            ("chat.ask", "user:1"),
            ("chat.ask", "user:2"),
        ]
        assert audited[0].after == {"message_id": stored[1].id, "question": stored[1].question}

    async def checkpointed() -> dict[str, Any]:
        async with open_checkpointer(database_url) as saver:
            found = await saver.aget_tuple({"configurable": {"thread_id": graph_thread(thread.id)}})
            assert found is not None
            values: dict[str, Any] = found.checkpoint["channel_values"]
            return values

    state = run(checkpointed())
    assert state["calls"] == 3 and state["focus"]["namespace"] == "payments"


def test_a_follow_up_with_a_model_continues_from_the_database_checkpoint(
    engine: Engine, database_url: str
) -> None:
    world = oom_world()
    pod = pod_of(world, "payments", "api")
    model = ScriptedChatModel(
        script=[
            call("k8s_list_pods", namespace="payments", status="unhealthy"),
            say(f"{pod} is OOMKilled [t1]."),
            say(f"{pod} was the one I named [t1]."),
        ]
    )
    turn_model = TurnModel(model=model, mode="scripted", budget=Budget(max_tool_calls=5))
    runner = runner_on(engine, database_url, world, model=lambda: turn_model)
    thread = run(runner.open_thread(owner="slack:U1", channel=ChatChannel.SLACK))
    ask(runner, thread.id, "Which pods in payments are failing?", actor="slack:U1")
    # A new runner: nothing of the first turn is in memory, only in the database.
    again = runner_on(engine, database_url, world, model=lambda: turn_model)
    steps = ask(again, thread.id, "Which one did you name?", actor="slack:U2")

    assert [s.kind for s in steps] == ["answer"]
    sent = model.received[2]
    assert sent[1] == HumanMessage("Which pods in payments are failing?")
    assert isinstance(sent[2], AIMessage) and str(sent[2].content).startswith(f"{pod} is OOMKilled")
    assert sent[3] == HumanMessage("Which one did you name?")
    with make_session_factory(engine)() as session:
        first, second = chat.list_messages(session, thread.id)
    assert (first.mode, first.llm_calls, first.tokens_in) == (
        "scripted",
        2,
        2 * USAGE["input_tokens"],
    )
    assert (second.llm_calls, second.tokens_out) == (1, USAGE["output_tokens"])


def test_a_failed_turn_ends_with_an_error_step_and_is_stored_as_failed(
    engine: Engine, database_url: str
) -> None:
    model = ScriptedChatModel(script=[])  # exhausted at the first call
    turn_model = TurnModel(model=model, mode="scripted", budget=Budget())
    runner = runner_on(engine, database_url, oom_world(), model=lambda: turn_model)
    thread = run(runner.open_thread(owner="eval", channel=ChatChannel.EVAL))
    steps = ask(runner, thread.id, "anything wrong?", actor="eval")

    assert steps == [
        ErrorStep(code="internal", message="internal error; the server log has the details")
    ]
    with make_session_factory(engine)() as session:
        [message] = chat.list_messages(session, thread.id)
    assert (message.status, message.answer) == ("failed", None)
    assert message.error == "internal error; the server log has the details"
    assert message.steps == [steps[0].model_dump(mode="json")]


def test_a_turn_whose_consumer_goes_away_is_stored_as_cancelled(
    engine: Engine, database_url: str
) -> None:
    runner = runner_on(engine, database_url, oom_world())
    thread = run(runner.open_thread(owner="user:1", channel=ChatChannel.WEB))

    async def first_step_only() -> ChatStep:
        turn = await runner.begin(thread.id, "which pods restart most?", actor="user:1")
        steps = turn.steps()
        step = await anext(steps)
        await steps.aclose()
        return step

    assert run(first_step_only()).kind == "tool_call"
    with make_session_factory(engine)() as session:
        [message] = chat.list_messages(session, thread.id)
    assert message.status == "failed"
    assert message.error == "cancelled: nobody was waiting for the answer any more"
    assert [s["kind"] for s in message.steps] == ["tool_call"]


def test_a_channel_key_finds_its_thread_again(engine: Engine, database_url: str) -> None:
    runner = runner_on(engine, database_url, oom_world())
    slack = run(
        runner.open_thread(owner="slack:U1", channel=ChatChannel.SLACK, external_key="C1:1.5")
    )
    same = run(
        runner.open_thread(owner="slack:U2", channel=ChatChannel.SLACK, external_key="C1:1.5")
    )
    other = run(runner.open_thread(owner="user:1", channel=ChatChannel.WEB, external_key="C1:1.5"))
    assert same.id == slack.id and same.owner == "slack:U1" and other.id != slack.id


def test_questions_about_incidents_read_the_database(api: Api, database_url: str) -> None:
    """The incident tools behind the `none` answers, over incidents opened through the API."""
    _, path = api.integration("alertmanager")
    warning = fire(api, path, am_alert("DiskFull", severity="warning", service="storage"))
    critical = fire(
        api, path, am_alert("KubePodCrashLooping", severity="critical", namespace="payments")
    )
    gone = fire(api, path, am_alert("Flapping", severity="critical"))
    assert api.post(f"/api/v1/incidents/{gone}/resolve", {"note": "fixed"}).status_code == 200
    run_id = api.list(f"/api/v1/incidents/{critical}/triage")["id"]
    report = TriageReport(
        status="determined",
        summary="payments/api is OOMKilled.",
        root_cause=ResourceRef(
            cloud="kubernetes", kind="Deployment", namespace="payments", name="api"
        ),
        category="resource.memory",
        confidence=0.9,
        evidence=[Evidence(summary="OOMKilled", tool="k8s_analyze", call_id="t1", excerpt="x")],
        mode="none",
    )
    with api.sessions() as session:
        start_run(session, run_id, now=api.clock.now())
        finish_run(session, run_id, report, now=api.clock.now(), usage=RunUsage(mode="none"))
        session.commit()
    ada = api.post("/api/v1/users", {"name": "Ada", "email": "ada@example.com"}).json()["user"][
        "id"
    ]
    layer = {
        "name": "all",
        "participants": [ada],
        "start": "2026-11-01T00:00:00Z",
        "turn": {"kind": "weekly"},
    }
    assert (
        api.post(
            "/api/v1/schedules", {"name": "ops", "timezone": "UTC", "layers": [layer]}
        ).status_code
        == 201
    )

    world = oom_world()
    runner = ChatRunner(
        sessions=api.sessions,
        database_url=database_url,
        clock=api.clock,
        kubernetes={"lab": LabKubernetes(world.kube)},
    )
    thread = run(runner.open_thread(owner="user:1", channel=ChatChannel.WEB))
    summary = ask(runner, thread.id, f"what is wrong with incident {critical}?")[-1]
    assert isinstance(summary, AnswerStep)
    assert f"Incident {critical}: KubePodCrashLooping" in summary.text
    assert "root cause Deployment payments/api (resource.memory), confidence 0.90" in summary.text
    opened = ask(runner, thread.id, "which incidents are open?")[-1].text.splitlines()
    assert opened[0] == "2 open incidents, most severe first [t3]:"
    assert opened[1].startswith(f"- incident {critical} (critical, triggered)")
    assert opened[2].startswith(f"- incident {warning} (warning, triggered, service storage)")
    on_call = ask(runner, thread.id, "who is on call?")[-1].text
    assert on_call == "On call now [t4]:\n- ops: Ada <ada@example.com>"
