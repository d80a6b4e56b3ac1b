"""Chat over the API: threads, a question answered as Server-Sent Events, who may do what."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from agents.chat import ChatRunner
from connectors.kubernetes.port import KubernetesPort
from core.clock import ManualClock
from core.db.engine import make_session_factory
from incidents.audit import list_audit
from incidents.models.people import Role
from lab.kube.port import LabKubernetes
from tests.integration.conftest import T0, Api, api_on
from tests.integration.test_alertmanager_to_pixelview import served
from tests.unit.lab_tools import oom_world

QUESTION = "Which pods in payments restart most?"


class GatedCluster:
    """A cluster whose pod listings wait until the test lets them go (10 s at most)."""

    def __init__(self, port: KubernetesPort) -> None:
        self._port = port
        self.go = threading.Event()
        self.waited_s: float | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)

    async def list_pods(self, **arguments: Any) -> Any:
        started = time.monotonic()
        await asyncio.to_thread(self.go.wait, 10)
        self.waited_s = time.monotonic() - started
        return await self._port.list_pods(**arguments)


@pytest.fixture
def chat_api(engine: Engine, database_url: str) -> Iterator[Api]:
    """An API with a chat runner (mode `none`) over an OOM-killed lab cluster, as an admin."""
    clock = ManualClock(T0)
    runner = ChatRunner(
        sessions=make_session_factory(engine),
        database_url=database_url,
        clock=clock,
        kubernetes={"lab": LabKubernetes(oom_world().kube)},
    )
    with api_on(engine, clock=clock, chat=runner) as api:
        yield api


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body: `(event, data as JSON)` per event, comments ignored."""
    parsed = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        name = next(line[len("event: ") :] for line in lines if line.startswith("event: "))
        data = "\n".join(line[len("data: ") :] for line in lines if line.startswith("data: "))
        parsed.append((name, json.loads(data)))
    return parsed


def ask(api: Api, thread: int, question: str, headers: dict[str, str] | None = None) -> Any:
    return api.client.post(
        f"/api/v1/chat/threads/{thread}/messages",
        json={"question": question},
        headers=headers or api.headers,
    )


def new_thread(api: Api, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    response = api.client.post("/api/v1/chat/threads", json=body, headers=headers or api.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_question_streams_each_step_then_done_with_the_stored_message(chat_api: Api) -> None:
    api = chat_api
    thread = new_thread(api)
    assert (thread["channel"], thread["title"], thread["external_key"]) == ("web", "", None)
    assert thread["owner"].startswith("user:")

    with api.client.stream(
        "POST",
        f"/api/v1/chat/threads/{thread['id']}/messages",
        json={"question": QUESTION},
        headers=api.headers,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        body = "".join(response.iter_text())
    streamed = events(body)

    assert [name for name, _ in streamed] == ["tool_call", "tool_result", "answer", "done"]
    call, result, answer, done = (data for _, data in streamed)
    assert call == {
        "kind": "tool_call",
        "call_id": "t1",
        "tool": "k8s_list_pods",
        "arguments": {"namespace": "payments"},
    }
    assert (result["call_id"], result["ok"], result["summary"]) == ("t1", True, "7 of 7 pods")
    assert answer["text"].startswith("The pods that restart most in namespace payments [t1]:")
    assert answer["citations"] == ["t1"] and answer["mode"] == "none"
    assert {link["type"] for link in answer["links"]} == {"resource"}
    assert all(link["kind"] == "Pod" and link["cluster"] == "lab" for link in answer["links"])
    # `done` is the message as stored, the same steps in it.
    assert (done["status"], done["question"], done["thread_id"]) == (
        "answered",
        QUESTION,
        thread["id"],
    )
    assert done["steps"] == [call, result, answer] and done["answer"] == answer["text"]
    assert done["asked_by"] == thread["owner"] and done["tool_calls"][0]["tool"] == "k8s_list_pods"

    shown = api.list(f"/api/v1/chat/threads/{thread['id']}")
    assert shown["title"] == QUESTION and [m["id"] for m in shown["messages"]] == [done["id"]]
    assert shown["messages"][0]["steps"] == done["steps"]
    follow_up = events(ask(api, thread["id"], "and which pods are failing there?").text)
    assert [d["call_id"] for n, d in follow_up if n == "tool_call"] == ["t2", "t3"]
    assert [t["id"] for t in api.list("/api/v1/chat/threads")] == [thread["id"]]
    with api.sessions() as session:
        asked = list_audit(session, target_type="chat_thread", target_id=str(thread["id"]))
    assert [a.action for a in asked] == ["chat.ask", "chat.ask", "chat.thread.create"]
    assert asked[-2].after is not None and asked[-2].after["question"] == QUESTION
    assert {a.actor for a in asked} == {thread["owner"]}


def test_a_viewer_may_chat_and_a_thread_is_its_owners(chat_api: Api) -> None:
    api = chat_api
    viewer = api.user(Role.VIEWER, "viewer@example.com")
    other = api.user(Role.VIEWER, "other@example.com")
    mine = new_thread(api, viewer, title="payments restarts")
    answered = ask(api, mine["id"], QUESTION, viewer)
    assert answered.status_code == 200 and events(answered.text)[-1][1]["status"] == "answered"

    path = f"/api/v1/chat/threads/{mine['id']}"
    assert api.client.get(path, headers=viewer).json()["title"] == "payments restarts"
    denied = api.client.get(path, headers=other)
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    assert ask(api, mine["id"], "mine now?", other).status_code == 403
    slack = {"channel": "slack", "external_key": "C1:1700000000.1"}
    squat = api.client.post("/api/v1/chat/threads", json=slack, headers=other)
    assert squat.status_code == 403 and "admin" in squat.json()["message"]
    assert api.client.get("/api/v1/chat/threads", headers=other).json() == []
    # An admin may read any thread, but asks only in their own.
    assert api.client.get(path, headers=api.headers).status_code == 200
    assert ask(api, mine["id"], "hello?").status_code == 403
    assert len(api.client.get(path, headers=viewer).json()["messages"]) == 1


def test_unknown_threads_bad_questions_and_taken_keys(chat_api: Api) -> None:
    api = chat_api
    missing = api.client.get("/api/v1/chat/threads/999", headers=api.headers)
    assert missing.status_code == 404 and missing.json() == {
        "error": "not_found",
        "message": "chat thread 999 not found",
    }
    assert ask(api, 999, QUESTION).status_code == 404
    thread = new_thread(api, channel="slack", external_key="C1:1700000000.1")
    empty = ask(api, thread["id"], "   ")
    assert empty.status_code == 422 and empty.json()["message"] == "question: ask something"
    assert ask(api, thread["id"], "").status_code == 422
    taken = api.client.post(
        "/api/v1/chat/threads",
        json={"channel": "slack", "external_key": "C1:1700000000.1"},
        headers=api.headers,
    )
    assert taken.status_code == 409
    bad = api.client.post("/api/v1/chat/threads", json={"channel": "fax"}, headers=api.headers)
    assert bad.status_code == 422


def test_chat_needs_a_token(chat_api: Api) -> None:
    client = chat_api.client
    for method, path in (
        ("GET", "/api/v1/chat/threads"),
        ("POST", "/api/v1/chat/threads"),
        ("GET", "/api/v1/chat/threads/1"),
        ("POST", "/api/v1/chat/threads/1/messages"),
    ):
        response = client.request(method, path, json={"question": "x"})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"] == "unauthenticated"
    wrong = client.get("/api/v1/chat/threads", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_without_a_chat_runner_chat_answers_503(api: Api) -> None:
    for method, path in (
        ("GET", "/api/v1/chat/threads"),
        ("POST", "/api/v1/chat/threads"),
        ("GET", "/api/v1/chat/threads/1"),
        ("POST", "/api/v1/chat/threads/1/messages"),
    ):
        response = api.client.request(method, path, json={"question": "x"}, headers=api.headers)
        assert response.status_code == 503, (method, path)
        assert response.json()["error"] == "unavailable"
        assert "started without a chat runner" in response.json()["message"]


def test_each_step_reaches_the_client_as_it_happens(engine: Engine, database_url: str) -> None:
    """The pod listing waits for the client to have read its `tool_call`: no buffering."""
    gated = GatedCluster(LabKubernetes(oom_world().kube))
    runner = ChatRunner(
        sessions=make_session_factory(engine),
        database_url=database_url,
        clock=ManualClock(T0),
        kubernetes={"lab": cast(KubernetesPort, gated)},
    )
    seen = []
    with api_on(engine, chat=runner) as api, served(cast(FastAPI, api.client.app)) as base:
        thread = new_thread(api)["id"]
        with httpx2.stream(
            "POST",
            f"{base}/api/v1/chat/threads/{thread}/messages",
            json={"question": QUESTION},
            headers=api.headers,
            timeout=30,
        ) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("event: "):
                    seen.append(line.removeprefix("event: "))
                    gated.go.set()  # the call may go on once its step was read
    assert seen == ["tool_call", "tool_result", "answer", "done"]
    assert gated.waited_s is not None and gated.waited_s < 5
