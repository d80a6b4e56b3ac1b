"""`pixelview chat` as a user runs it: a real process, a configured cluster, a conversation."""

from __future__ import annotations

import json
from pathlib import Path

from lab.kube.facade import facade_url, serve_facade
from tests.e2e.test_cli import run
from tests.unit.lab_tools import oom_world


def test_chat_prints_each_step_and_a_follow_up_continues_the_thread(tmp_path: Path) -> None:
    world = oom_world()
    with serve_facade(world.kube) as facade:
        clusters = json.dumps([{"name": "lab", "server": facade_url(facade)}])
        settings = {"PIXELVIEW_KUBERNETES__CLUSTERS": clusters, "PIXELVIEW_LLM__PROVIDER": "none"}
        first = run("chat", "Which pods in payments restart most?", cwd=tmp_path, **settings)
        second = run(
            "chat", "which are failing there?", "--thread", "1", "--json", cwd=tmp_path, **settings
        )
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == '→ [t1] k8s_list_pods(namespace="payments")'
    assert lines[1] == "← [t1] ok: 7 of 7 pods"
    assert "The pods that restart most in namespace payments [t1]:" in lines
    assert "7 restarts" in first.stdout and "links: Pod payments/api-" in first.stdout
    assert lines[-1].startswith("[thread 1, mode none: 1 tool calls, 0 model calls")

    assert second.returncode == 0, second.stdout + second.stderr
    steps = [json.loads(line) for line in second.stdout.splitlines()]
    assert [s["kind"] for s in steps] == [
        "tool_call",
        "tool_result",
        "tool_call",
        "tool_result",
        "answer",
        "done",
    ]
    assert steps[0]["arguments"] == {"namespace": "payments", "status": "unhealthy"}
    assert steps[0]["call_id"] == "t2"
    assert "Likely cause (resource.memory): Deployment payments/api" in steps[4]["text"]
    assert steps[5] == {"kind": "done", "thread_id": 1, "message_id": 2, "status": "answered"}


def test_chat_in_an_unknown_thread_is_one_clear_line(tmp_path: Path) -> None:
    result = run("chat", "hello?", "--thread", "42", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "error: chat thread 42 not found"
