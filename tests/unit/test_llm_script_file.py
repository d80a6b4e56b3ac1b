"""Script files of the scripted model: answers in YAML, errors naming the file and the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.llm.script_file import ScriptError, load_script
from pixelview.eval_cli import SCRIPT_FILE, SUITE


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / SCRIPT_FILE
    path.write_text(text, encoding="utf-8")
    return path


def test_answers_become_the_models_messages(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "- call: k8s_list_pods\n  args: {namespace: shop}\n"
        "- calls:\n  - {call: k8s_list_nodes}\n  - {call: k8s_analyze, args: {cluster: lab}}\n"
        "- say: done\n",
    )
    first, second, third = load_script(path)
    assert first.tool_calls == [
        {
            "name": "k8s_list_pods",
            "args": {"namespace": "shop"},
            "id": "call-1",
            "type": "tool_call",
        }
    ]
    assert [c["name"] for c in second.tool_calls] == ["k8s_list_nodes", "k8s_analyze"]
    assert [c["id"] for c in second.tool_calls] == ["call-2", "call-3"]
    assert third.content == "done" and not third.tool_calls


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "must hold a list of answers"),
        ("- {say: hi, call: x}", "[0]: give exactly one of say, call or calls"),
        ("- say: [not, text]", "[0]: say: must be text"),
        ("- say: ok\n- calls: []", "[1]: calls: must be a list"),
        ("- calls: [{tool: x}]", "[0].calls[0]: a tool call is {call: <tool>"),
        ("- call: x\n  args: [1]", "[0]: call must name a tool and args be a mapping"),
        ("- call: {", "not readable YAML"),
    ],
)
def test_a_bad_script_names_the_file_and_the_answer(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert caught.value.message.startswith(str(path)) and message in caught.value.message


def test_the_shipped_smoke_scripts_load() -> None:
    scripts = sorted(SUITE.rglob(SCRIPT_FILE))
    assert len(scripts) >= 2
    for path in scripts:
        assert load_script(path)[-1].tool_calls[0]["name"] == "submit_report"
