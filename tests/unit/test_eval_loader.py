"""Reading scenarios: the shipped suite, and every error naming the file and the key."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from evals.loader import ScenarioError, load_scenario, load_scenarios
from evals.scenario import parse_duration
from lab.faults.catalog import FAULTS
from pixelview.eval_cli import SUITE

VALID = {
    "id": "k8s-oom",
    "title": "OOM",
    "kind": "triage",
    "tags": ["kubernetes"],
    "lab": {"seed": 7, "faults": [{"fault": "k8s.oom_kill", "at": "-30m"}]},
    "alert": {"source": "alertmanager", "from_lab": True},
    "expect": {
        "root_cause": {
            "resource": {"cloud": "kubernetes", "kind": "Deployment", "name": "api"},
            "category": "resource.memory",
        }
    },
}


def write(folder: Path, data: object, name: str = "one") -> Path:
    path = folder / name / "scenario.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def with_(**changes: object) -> dict[str, object]:
    return VALID | changes


def test_the_shipped_suite_loads_and_covers_what_the_issue_asks() -> None:
    suite = load_scenarios(SUITE)
    scenarios = [s.scenario for s in suite]
    tags = Counter(t for s in scenarios for t in s.tags)
    assert len(scenarios) >= 40 + 8
    chats = [s for s in scenarios if s.kind == "chat"]
    assert len(chats) >= 8 and all(s.expect.answer_mentions for s in chats)
    assert tags["control"] >= 6 and all(s.no_fault for s in scenarios if "control" in s.tags)
    assert tags["adversarial"] >= 4 and tags["cascade"] >= 3
    for kubernetes_fault in [name for name in FAULTS if name.startswith("k8s.")]:
        variants = [s for s in scenarios if any(f.fault == kubernetes_fault for f in s.lab.faults)]
        assert len(variants) >= 2, kubernetes_fault
    pending = [s for s in scenarios if "pending-tools" in s.tags]
    assert all(s.expect.root_cause and s.expect.root_cause.resource.cloud != "kubernetes"
               for s in pending)  # fmt: skip
    with_payload = [s for s in suite if s.scenario.alert and not s.scenario.alert.from_lab]
    assert with_payload and all(s.payload is not None for s in with_payload)


def test_a_valid_scenario_reads_with_its_duration(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, VALID))
    assert loaded.scenario.lab.faults[0].at == timedelta(minutes=-30)
    assert loaded.payload is None and loaded.scenario.expect.root_cause is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_(owner="me"), "owner: unknown key (known: id, title, kind"),
        (with_(titel="x"), "did you mean 'title'?"),
        (with_(lab={"seed": 7, "fautls": []}), "lab.fautls: unknown key (known: seed, faults)"),
        (
            with_(lab={"faults": [{"fault": "k8s.oom_kill", "when": "-5m"}]}),
            "lab.faults.0.when: unknown key (known: fault, target, params, at)",
        ),
        (
            with_(lab={"faults": [{"fault": "k8s.oom_kil"}]}),
            "lab.faults[0].fault: unknown fault 'k8s.oom_kil'",
        ),
        (
            with_(lab={"faults": [{"fault": "k8s.oom_kill", "at": "half an hour"}]}),
            "lab.faults.0.at: 'half an hour' is not a duration",
        ),
        (with_(id="K8s OOM"), "id: String should match pattern"),
        (with_(kind="incident"), "kind: Input should be 'triage' or 'chat'"),
        (with_(alert=None), "a triage scenario needs an alert"),
        (with_(kind="chat", alert=None), "a chat scenario needs a question"),
        (
            with_(alert={"source": "alertmanager", "from_lab": True, "payload": {}}),
            "payload, payload_file or from_lab: true (not payload and from_lab)",
        ),
        (
            with_(alert={"source": "zabbix"}),
            "give exactly one of payload, payload_file or from_lab",
        ),
        (with_(alert={"source": "snmp", "payload": {}}), "alert.source: Input should be"),
        (
            with_(alert={"source": "alertmanager", "payload_file": "missing.json"}),
            "alert.payload_file: no file 'missing.json' beside it",
        ),
        (
            with_(alert={"source": "alertmanager", "payload_file": "../../etc/passwd"}),
            "leaves the scenario's folder",
        ),
        (
            with_(expect={"root_cause": {"resource": {"cloud": "aws", "kind": "X", "name": "y"}}}),
            "expect.root_cause.resource.cloud: Input should be",
        ),
        (with_(expect={"max_tool_calls": -1}), "expect.max_tool_calls: Input should be greater"),
        (with_(expect={}, tags="kubernetes"), "tags: Input should be a valid list"),
        (["not", "a", "mapping"], "must hold a mapping"),
    ],
)
def test_a_bad_scenario_names_the_file_and_the_key(
    tmp_path: Path, data: object, message: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.message.startswith(f"{path}: ")
    assert message in caught.value.message


def test_payload_files_are_read_as_json_or_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, with_(alert={"source": "generic", "payload_file": "alert.json"}))
    (path.parent / "alert.json").write_text('{"id": "a", "summary": "s"}', encoding="utf-8")
    assert load_scenario(path).payload == {"id": "a", "summary": "s"}
    (path.parent / "alert.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"alert.payload_file: 'alert.json' is not valid"):
        load_scenario(path)


def test_a_folder_is_read_at_any_depth_and_ids_are_unique(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a/deep/one")
    write(tmp_path, with_(id="other"), "b")
    assert [s.scenario.id for s in load_scenarios(tmp_path)] == ["k8s-oom", "other"]
    write(tmp_path, VALID, "c")
    with pytest.raises(ScenarioError, match="id: 'k8s-oom' is also the id of"):
        load_scenarios(tmp_path)


def test_missing_folders_and_empty_ones_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such folder"):
        load_scenarios(tmp_path / "nope")
    with pytest.raises(ScenarioError, match=r"no scenario\.yaml under it"):
        load_scenarios(tmp_path)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "scenario.yaml")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-30m", timedelta(minutes=-30)),
        ("1h30m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("2h", timedelta(hours=2)),
    ],
)
def test_durations(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["", "-", "30", "m", "1d", "30 m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)
