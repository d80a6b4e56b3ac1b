"""The memory's read tools: runbook sections and past incidents, as untrusted data."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.clock import ManualClock
from core.settings import MemorySettings
from incidents.triage_report import RunbookCitation, SimilarIncident
from lab.world.world import LAB_EPOCH
from memory.chroma import build_memory_store
from memory.models import IncidentMemory
from memory.port import MemoryStore
from memory.runbooks import LIBRARY
from memory.runbooks.parse import load_runbook
from tests.unit.lab_tools import lab_deps, oom_world, run
from tools.memory import runbook_search, similar_incidents


def oom_memory(tmp_path: Path) -> MemoryStore:
    """A store of three runbooks and one resolved OOM of payments/api (incident 17)."""
    store = build_memory_store(
        MemorySettings(), path=tmp_path / "chroma", clock=ManualClock(LAB_EPOCH)
    )
    for name in ("k8s-oom-killed", "k8s-image-pull-backoff", "vsphere-datastore-full"):
        asyncio.run(store.upsert_runbook(load_runbook(LIBRARY / f"{name}.md")))
    asyncio.run(
        store.record_incident(
            IncidentMemory(
                incident_id="17",
                summary="KubePodCrashLooping payments/api OOMKilled exit code 137",
                root_cause="Deployment payments/api memory limit 256Mi too low",
                category="resource.memory",
                resolution="raised the memory limit to 512Mi",
                time_to_resolve_s=1500,
            )
        )
    )
    return store


def test_runbook_search_finds_the_oom_runbook_and_past_incidents_their_fix(tmp_path: Path) -> None:
    store = oom_memory(tmp_path)
    deps = lab_deps(oom_world())
    deps = type(deps)(**{**deps.__dict__, "memory": store})
    found = run(
        runbook_search.run({"query": "pods OOMKilled exit code 137", "cloud": "kubernetes"}, deps)
    )
    assert found.status == "ok" and found.untrusted and found.data
    assert found.data[0].runbook == "k8s-oom-killed"
    assert "OOM" in found.data[0].title or "memory" in found.data[0].title.lower()
    query = "KubePodCrashLooping payments/api pods OOMKilled, exit code 137"
    past = run(similar_incidents.run({"query": query}, deps))
    assert past.status == "ok" and past.data and past.data[0].incident == "17"
    assert past.data[0].resolution == "raised the memory limit to 512Mi"
    assert past.data[0].time_to_resolve == "25 min"
    nothing = run(runbook_search.run({"query": "printer out of toner on floor 3"}, deps))
    assert nothing.status == "no_data" and "no runbook matches well enough" in (
        nothing.message or ""
    )
    bad = run(runbook_search.run({"query": "oom", "cloud": "aws"}, deps))
    assert bad.status == "error" and bad.error is not None and "cloud" in bad.error.message


def test_without_a_memory_the_tools_say_so() -> None:
    result = run(runbook_search.run({"query": "pods OOMKilled"}, lab_deps(oom_world())))
    assert result.status == "error" and result.error is not None
    assert "no runbook and incident memory is configured" in result.error.message


def test_citations_link_to_the_runbook_section_and_the_incident() -> None:
    cited = RunbookCitation(
        runbook_id="k8s-oom-killed", title="OOM", section="Checks & fixes", score=0.7, call_id="t2"
    )
    assert cited.link == "/api/v1/runbooks/k8s-oom-killed#checks-fixes"
    stored = RunbookCitation.model_validate(cited.model_dump(mode="json"))
    assert stored == cited  # a stored report reads back the same
    legacy = {k: v for k, v in cited.model_dump(mode="json").items() if k != "link"}
    assert RunbookCitation.model_validate(legacy).link == cited.link  # reports stored before links
    past = SimilarIncident(incident_id="41", summary="s", score=0.8, call_id="t3")
    assert past.link == "/api/v1/incidents/41"
