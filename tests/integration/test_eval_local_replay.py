"""The local model's recorded runs (evals/recordings/local-qwen2.5-1.5b), replayed in CI.

The model ran once (`pixelview eval --llm local --record ...`); its requests and answers are
in the repository. Replaying them costs no model and must give the scores of the stored
report: a change to what the agents ask fails here loudly (a request that differs from the
recording), and a change to what the product makes of the model's answers shows as a
changed score (record again, or update `report.json` with a replay when the change is meant).
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from evals.loader import load_scenarios
from evals.report import SuiteReport, build_report, summary
from evals.runner import run_suite
from pixelview.eval_cli import SUITE
from pixelview.eval_estate import Cassettes, ContainerEstate

RECORDED = SUITE.parent / "recordings" / "local-qwen2.5-1.5b"


def test_the_local_models_recorded_runs_replay_to_their_recorded_scores(tmp_path: Path) -> None:
    stored = SuiteReport.model_validate_json((RECORDED / "report.json").read_bytes())
    ids = {s.id for s in stored.scenarios}
    scenarios = [s for s in load_scenarios(SUITE) if s.scenario.id in ids]
    assert len(scenarios) == len(ids) >= 4
    estate = ContainerEstate(Settings(), tmp_path, cassettes=Cassettes(RECORDED, "replay"))
    result = build_report(run_suite(scenarios, estate), llm="replay", repeat=1)
    text = summary(result)
    for now, then in zip(result.scenarios, stored.scenarios, strict=True):
        [attempt], [recorded] = now.attempts, then.attempts
        assert attempt.outcome.error is None, (now.id, attempt.outcome.error)
        assert attempt.scores == recorded.scores, (now.id, attempt.failures, text)
        assert attempt.outcome.llm_calls == recorded.outcome.llm_calls > 0, now.id
        assert attempt.outcome.tokens_in == recorded.outcome.tokens_in, now.id
        assert [c.tool for c in attempt.outcome.tool_calls] == [
            c.tool for c in recorded.outcome.tool_calls
        ], now.id
        report = attempt.outcome.report
        if report is not None:
            assert report.mode == "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert result.rates == stored.rates, text
