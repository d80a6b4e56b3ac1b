"""The panel's chat and runbooks pages over HTTP: what they render, who may see them.

The chat page lists the caller's threads and leaves the conversation to the browser
(`static/chat.js` reads the thread and streams answers through the chat API, whose
streaming `test_chat_api.py` tests); the runbooks pages render the memory store's runbooks,
their sections and a search, with the markdown escaped. Incident reports link their runbook
citations here.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from agents.budget import Budget
from agents.chat import TurnModel
from agents.llm import ScriptedChatModel
from api.sessions import CSRF_HEADER
from incidents.models.people import Role
from tests.integration.conftest import Api, api_on
from tests.integration.test_chat_api import chat_api, events, new_thread
from tests.integration.test_chat_runner import runner_on
from tests.integration.test_runbooks_api import ETCD, RUNBOOKS, folder, memory, rb, upload
from tests.integration.test_web_panel import HTML, log_in
from tests.unit.lab_tools import oom_world
from tests.unit.supervisor_lab import call, pod_of, say

__all__ = ["chat_api", "folder", "memory", "rb"]  # fixtures the tests use


def test_the_chat_page_needs_a_session_and_lists_the_callers_threads(chat_api: Api) -> None:
    api = chat_api
    client = api.client
    away = client.get("/chat/1", headers=HTML, follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login?next=/chat/1"

    mine = new_thread(api, title="payments restarts")
    log_in(client, api.headers)
    page = client.get("/chat", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert '<a href="/chat" aria-current="page">Chat</a>' in text
    assert '<a href="/runbooks" >Runbooks</a>' in text
    assert f'<a href="/chat/{mine["id"]}">payments restarts</a>' in text
    assert 'id="new-thread"' in text and 'id="ask"' in text
    assert 'src="/static/chat.js?v=' in text
    assert 'data-thread=""' in text  # no thread open: the first question starts one

    one = client.get(f"/chat/{mine['id']}", headers=HTML)
    assert one.status_code == 200
    assert f'data-thread="{mine["id"]}"' in one.text
    assert '<h2 id="thread-title">payments restarts</h2>' in one.text
    assert client.get("/chat/999", headers=HTML).status_code == 404
    assert client.get("/static/chat.js").status_code == 200


def test_someone_elses_thread_is_refused_to_a_responder_and_read_only_for_an_admin(
    chat_api: Api,
) -> None:
    api = chat_api
    grace = api.user(Role.RESPONDER, "grace@example.com")
    hers = new_thread(api, headers=grace, title="hers")
    admins = new_thread(api, title="the admin's")
    client = TestClient(api.client.app)
    log_in(client, grace)
    page = client.get("/chat", headers=HTML)
    assert "hers" in page.text and "the admin&#39;s" not in page.text
    assert client.get(f"/chat/{admins['id']}", headers=HTML).status_code == 403

    log_in(api.client, api.headers)
    read_only = api.client.get(f"/chat/{hers['id']}", headers=HTML)
    assert read_only.status_code == 200
    assert 'id="ask"' not in read_only.text and "someone else" in read_only.text


def test_without_a_chat_runner_the_page_says_so(api: Api) -> None:
    log_in(api.client, api.headers)
    page = api.client.get("/chat", headers=HTML)
    assert page.status_code == 200 and "Chat is not available on this server" in page.text
    assert 'id="ask"' not in page.text


def test_the_pages_request_streams_a_scripted_models_steps_with_the_cookie_and_csrf(
    engine: Engine, database_url: str
) -> None:
    """What `chat.js` sends: the session cookie and `X-CSRF-Token`, no bearer token."""
    world = oom_world()
    pod = pod_of(world, "payments", "api")
    model = ScriptedChatModel(
        script=[call("k8s_list_pods", namespace="payments"), say(f"{pod} restarts most [t1].")]
    )
    turn_model = TurnModel(model=model, mode="scripted", budget=Budget(max_tool_calls=5))
    runner = runner_on(engine, database_url, world, model=lambda: turn_model)
    with api_on(engine, chat=runner) as api:
        client = TestClient(api.client.app)
        csrf = log_in(client, api.headers)
        url = "/api/v1/chat/threads"
        assert client.post(url, json={}).status_code == 403  # the cookie alone: no
        thread = client.post(url, json={}, headers={CSRF_HEADER: csrf}).json()
        asked = client.post(
            f"{url}/{thread['id']}/messages",
            json={"question": "which pods in payments restart most?"},
            headers={CSRF_HEADER: csrf, "Accept": "text/event-stream"},
        )
        assert asked.status_code == 200, asked.text
        streamed = events(asked.text)
        assert [name for name, _ in streamed] == ["tool_call", "tool_result", "answer", "done"]
        answer = streamed[2][1]
        assert answer["mode"] == "scripted" and answer["text"] == f"{pod} restarts most [t1]."
        assert answer["citations"] == ["t1"] and answer["links"][0]["type"] == "resource"
        stored = client.get(f"{url}/{thread['id']}").json()  # what a reload of the page reads
        assert [s["kind"] for s in stored["messages"][0]["steps"]] == [
            "tool_call",
            "tool_result",
            "answer",
        ]


def test_the_runbooks_pages_list_show_search_and_escape(rb: Api) -> None:
    client = rb.client
    away = client.get("/runbooks", headers=HTML, follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login?next=/runbooks"
    hostile = ETCD.replace(
        "- Move etcd's data directory", "- <script>alert(1)</script> Move etcd's data directory"
    )
    assert upload(rb, "etcd-disk.md", hostile).status_code == 201
    stored = rb.list(RUNBOOKS)
    folder_one = next(r for r in stored if r["origin"] == "folder")

    log_in(client, rb.headers)
    page = client.get("/runbooks", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert '<a href="/runbooks" aria-current="page">Runbooks</a>' in text
    assert f'<a href="/runbooks/{folder_one["id"]}"><code>{folder_one["id"]}</code></a>' in text
    assert "etcd is short of disk I/O" in text and ">upload<" in text and ">folder<" in text
    assert folder_one["version"] in text
    assert 'data-api="POST /api/v1/runbooks" enctype="multipart/form-data"' in text

    one = client.get("/runbooks/etcd-disk", headers=HTML)
    assert one.status_code == 200
    assert '<section id="remediation">' in one.text and "<h2>Checks</h2>" in one.text
    assert "<script>alert(1)</script>" not in one.text  # the markdown is text, never HTML
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in one.text
    assert 'data-api="DELETE /api/v1/runbooks/etcd-disk" data-then="/runbooks"' in one.text
    assert client.get("/runbooks/no-such-runbook", headers=HTML).status_code == 404

    found = client.get("/runbooks", params={"q": "EtcdHighFsyncDurations"}, headers=HTML)
    assert found.status_code == 200 and 'id="search-results"' in found.text
    assert '<a href="/runbooks/etcd-disk#' in found.text


def test_a_viewer_sees_runbooks_without_the_upload_and_delete(rb: Api) -> None:
    viewer = rb.user(Role.VIEWER, "vic@example.com")
    client = TestClient(rb.client.app)
    log_in(client, viewer)
    page = client.get("/runbooks", headers=HTML)
    assert page.status_code == 200 and 'id="upload"' not in page.text
    first = rb.list(RUNBOOKS)[0]["id"]
    assert 'id="delete-runbook"' not in client.get(f"/runbooks/{first}", headers=HTML).text


def test_without_a_memory_store_the_runbooks_page_says_so(api: Api) -> None:
    log_in(api.client, api.headers)
    page = api.client.get("/runbooks", headers=HTML)
    assert page.status_code == 200 and "no memory store" in page.text
