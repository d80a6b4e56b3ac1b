"""The `none` mode's report when the analyzers find nothing: no fault, or undetermined."""

from __future__ import annotations

from agents.triage.deterministic import Analyzed, deterministic_report


def looked(target: dict[str, str], error: str | None = None) -> Analyzed:
    return Analyzed(call_id="t1", target=dict(target), findings=[], error=error)


def test_a_named_scope_found_healthy_is_no_fault() -> None:
    report = deterministic_report(
        [looked({"namespace": "shop", "workload": "cart", "cluster": "lab"}),
         looked({"node": "k8s-worker-02", "cluster": "lab"})]
    )  # fmt: skip
    assert report.status == "no_fault" and report.root_cause is None
    assert "cluster lab (namespace shop, workload cart)" in report.summary
    assert "node k8s-worker-02" in report.summary


def test_a_cluster_wide_look_that_finds_nothing_is_undetermined() -> None:
    report = deterministic_report([looked({"cluster": "lab"})])
    assert report.status == "undetermined"
    assert "outside what they cover" in report.summary


def test_a_scope_that_could_not_be_read_is_undetermined() -> None:
    partly = deterministic_report(
        [looked({"namespace": "shop", "cluster": "lab"}),
         looked({"namespace": "ghost", "cluster": "lab"}, error="namespace ghost not found")]
    )  # fmt: skip
    assert partly.status == "undetermined"
    failed = deterministic_report(
        [looked({"namespace": "ghost", "cluster": "lab"}, error="namespace ghost not found")]
    )
    assert failed.status == "undetermined"
    assert failed.summary.startswith("Triage could not read cluster lab (namespace ghost)")


def test_nothing_analyzed_is_undetermined() -> None:
    assert deterministic_report([]).status == "undetermined"


def test_instructions_planted_in_an_alert_flag_the_report() -> None:
    report = deterministic_report([looked({"cluster": "lab"})], planted=True)
    assert report.flags == ["untrusted_instruction"]
    assert deterministic_report([looked({"cluster": "lab"})]).flags == []
