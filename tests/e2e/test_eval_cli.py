"""`pixelview eval` as a user runs it: a real process, the shipped scenarios, reports compared."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import run


def test_eval_runs_scenarios_writes_a_report_and_compares_two(tmp_path: Path) -> None:
    first = run(
        "eval", "--llm", "none", "--only", "k8s-oom-payments-api", "--only", "control",
        "--report", "a.json", cwd=tmp_path,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "overall" in first.stdout and "100.0%" in first.stdout
    report = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in report["scenarios"]]
    assert "k8s-oom-payments-api" in ids and len(ids) >= 7
    oom = next(s for s in report["scenarios"] if s["id"] == "k8s-oom-payments-api")
    outcome = oom["attempts"][0]["outcome"]
    assert outcome["report"]["category"] == "resource.memory" and outcome["tool_calls"]
    assert all(a["passed"] for s in report["scenarios"] for a in s["attempts"])

    compared = run("eval", "compare", "a.json", "a.json", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "before" in compared.stdout and "+0.0" in compared.stdout

    shown = run("eval", "show", "a.json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == first.stdout.strip()  # what the run printed
    table = run("eval", "show", "--markdown", "a.json", cwd=tmp_path).stdout.splitlines()
    assert table[0].startswith("| tag | scenarios | passed | rca_resource |")
    assert table[2].startswith(f"| **overall** | {len(ids)} | 100% |")
    assert any(line.startswith("| control | ") for line in table)


def test_eval_fails_below_a_baseline_and_names_bad_input(tmp_path: Path) -> None:
    (tmp_path / "floor.json").write_text(json.dumps({"rates": {"passed": 1.0}}), encoding="utf-8")
    below = run(
        "eval", "--llm", "none", "--only", "symptom-checkout-cause-payments-api",
        "--baseline", "floor.json", cwd=tmp_path,
    )  # fmt: skip
    assert below.returncode == 1
    assert "below the baseline" in below.stderr and "passed: 0.0% < baseline 100.0%" in below.stderr

    suite = tmp_path / "suite" / "bad"
    suite.mkdir(parents=True)
    (suite / "scenario.yaml").write_text("id: bad\ntitle: t\nkind: triage\nexpekt: {}\n")
    bad = run("eval", "--scenarios", "suite", cwd=tmp_path)
    assert bad.returncode == 1
    assert (
        "scenario.yaml: expekt: unknown key" in bad.stderr and "did you mean 'expect'" in bad.stderr
    )
    wrong_llm = run("eval", "--llm", "gpt", cwd=tmp_path)
    assert wrong_llm.returncode == 2 and "--llm: 'gpt' is not one of" in wrong_llm.stderr
    missing = run("eval", "compare", "nope.json", "a.json", cwd=tmp_path)
    assert missing.returncode == 1 and "nope.json: no such report" in missing.stderr


def test_eval_scripted_plays_each_scenarios_script_and_names_a_missing_one(
    tmp_path: Path,
) -> None:
    smoke = run(
        "eval", "--llm", "scripted", "--only", "k8s-oom-payments-api",
        "--only", "control-crashloop-alert-on-healthy-cart", "--report", "s.json", cwd=tmp_path,
    )  # fmt: skip
    assert smoke.returncode == 0, smoke.stderr
    report = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert report["rates"]["passed"] == 1.0, smoke.stdout
    outcomes = [a["outcome"] for s in report["scenarios"] for a in s["attempts"]]
    assert all(o["llm_calls"] == 4 and o["report"]["mode"] == "scripted" for o in outcomes)
    unscripted = run("eval", "--llm", "scripted", "--only", "k8s-oom-shop-cart", cwd=tmp_path)
    assert "k8s-oom-shop-cart/llm_script.yaml: no such script file" in unscripted.stdout
