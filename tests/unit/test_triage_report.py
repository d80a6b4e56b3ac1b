"""A triage report claims a root cause only with a category and evidence citing tool calls."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from incidents.triage_report import Evidence, ResourceRef, TriageReport

CAUSE = ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api")
EVIDENCE = Evidence(summary="OOMKilled, exit 137", tool="k8s_describe_pod", call_id="c1")


def test_a_determined_report_needs_cause_category_and_evidence() -> None:
    with pytest.raises(ValidationError, match="needs category, evidence"):
        TriageReport(status="determined", summary="s", root_cause=CAUSE, mode="none")
    with pytest.raises(ValidationError, match="needs root_cause"):
        TriageReport(
            status="determined",
            summary="s",
            category="resource.memory",
            evidence=[EVIDENCE],
            mode="none",
        )
    ok = TriageReport(
        status="determined",
        summary="s",
        root_cause=CAUSE,
        category="resource.memory",
        evidence=[EVIDENCE],
        mode="none",
    )
    assert TriageReport.model_validate_json(ok.model_dump_json()) == ok


def test_undetermined_and_no_fault_reports_name_no_cause() -> None:
    with pytest.raises(ValidationError, match="a report that is undetermined names no root cause"):
        TriageReport(status="undetermined", summary="s", root_cause=CAUSE, mode="none")
    assert TriageReport(status="no_fault", summary="nothing is wrong", mode="none").evidence == []


def test_categories_and_clouds_are_the_contracts_and_evidence_cites_a_call() -> None:
    with pytest.raises(ValidationError, match="category"):
        TriageReport(status="undetermined", summary="s", category="memory", mode="none")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="cloud"):
        ResourceRef(cloud="aws", kind="Instance", name="i-1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="call_id"):
        Evidence(summary="x", tool="t", call_id="")
