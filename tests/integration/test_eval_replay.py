"""Record a scripted model's run of a scenario, replay it without the model, and fail loudly
when the replayed run asks something else. (The CI smoke set of the model modes.)"""

from __future__ import annotations

import json
from pathlib import Path

from agents.llm import ScriptedChatModel
from core.settings import Settings
from evals.loader import LoadedScenario, load_scenarios
from evals.runner import run_scenario
from pixelview.eval_cli import SUITE
from pixelview.eval_estate import Cassettes, ContainerEstate
from tests.integration.test_triage_scripted import script


def oom_scenario() -> LoadedScenario:
    [loaded] = [s for s in load_scenarios(SUITE) if s.scenario.id == "k8s-oom-payments-api"]
    return loaded


def test_a_recorded_run_replays_to_the_same_report_without_a_model(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    models: list[ScriptedChatModel] = []

    def scripted(key: str) -> ScriptedChatModel:
        assert key == "k8s-oom-payments-api/1"
        models.append(ScriptedChatModel(script=script()))
        return models[-1]

    recorder = ContainerEstate(
        Settings(),
        tmp_path / "record",
        memory_dir=tmp_path / "chroma",
        cassettes=Cassettes(recordings, "record"),
        model=scripted,
    )
    recorded = run_scenario(oom_scenario(), recorder)
    assert recorded.passed, recorded.failures
    assert recorded.outcome.llm_calls == 4 and models[0].remaining == 0
    assert recorded.outcome.report is not None and recorded.outcome.report.mode == "scripted"
    folder = recordings / "k8s-oom-payments-api" / "1"
    assert sorted(p.name for p in folder.iterdir()) == [
        "001.json", "002.json", "003.json", "004.json", "meta.json"
    ]  # fmt: skip
    first = json.loads((folder / "001.json").read_text(encoding="utf-8"))
    assert first["request"]["messages"][0]["type"] == "system"
    assert "ask_kubernetes" in [t["function"]["name"] for t in first["request"]["tools"]]

    replayer = ContainerEstate(
        Settings(),
        tmp_path / "replay",
        memory_dir=tmp_path / "chroma",
        cassettes=Cassettes(recordings, "replay"),
    )
    replayed = run_scenario(oom_scenario(), replayer)
    assert replayed.passed, replayed.failures
    assert replayed.outcome.report == recorded.outcome.report
    assert replayed.outcome.llm_calls == 4
    assert replayed.outcome.tokens_in == recorded.outcome.tokens_in
    assert [c.tool for c in replayed.outcome.tool_calls] == [
        c.tool for c in recorded.outcome.tool_calls
    ]

    # A run that asks the model something else fails loudly, naming the call and the place.
    step = folder / "002.json"
    exchange = json.loads(step.read_text(encoding="utf-8"))
    exchange["request"]["messages"][-1]["text"] = "another question"
    step.write_text(json.dumps(exchange), encoding="utf-8")
    mismatched = run_scenario(oom_scenario(), replayer)
    assert not mismatched.passed
    assert mismatched.outcome.error is not None
    assert "call 2 differs from the recording" in mismatched.outcome.error
    assert 'recorded "another question"' in mismatched.outcome.error

    # A run that was never recorded is an error too, not a silent model-less run.
    missing = run_scenario(oom_scenario(), replayer, attempt=2)
    assert missing.outcome.error is not None and "no recording" in missing.outcome.error
