"""The web panel's pure parts: session cookies, finding charts, health, wording, assets."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.schemas.inventory import InventoryObjectOut
from api.sessions import SessionSigner
from api.web.auth import safe_next
from api.web.charts import MAX_CHARTS, finding_charts
from api.web.render import STATIC, TEMPLATES, ago, human_bytes, runbook_page, span
from api.web.views import health
from incidents.triage_report import Evidence, ResourceRef, RunbookCitation, TriageReport

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
USER = uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_a_session_cookie_is_bound_to_its_user_token_and_lifetime() -> None:
    signer = SessionSigner("k" * 40, lifetime=timedelta(hours=12))
    cookie = signer.issue(USER, "hash-a", now=T0)
    claim = SessionSigner.parse(cookie)
    assert claim is not None and claim.user_id == USER
    assert claim.expires == T0 + timedelta(hours=12)
    assert signer.verify(claim, "hash-a", now=T0 + timedelta(hours=11))
    assert not signer.verify(claim, "hash-a", now=T0 + timedelta(hours=12))  # expired
    assert not signer.verify(claim, "hash-b", now=T0)  # the user has another token now
    other = SessionSigner("x" * 40, lifetime=timedelta(hours=12))
    assert not other.verify(claim, "hash-a", now=T0)  # another secret key
    assert SessionSigner.parse("v1.nothex.1.sig") is None
    assert SessionSigner.parse("v2." + cookie[3:]) is None

    csrf = signer.csrf_token(cookie)
    assert signer.csrf_ok(cookie, csrf)
    assert not signer.csrf_ok(cookie, None) and not signer.csrf_ok(cookie, csrf.upper())
    assert not signer.csrf_ok(signer.issue(USER, "hash-a", now=T0 + timedelta(1)), csrf)


def test_next_pages_stay_on_this_site() -> None:
    assert safe_next("/incidents/4?x=1") == "/incidents/4?x=1"
    for outside in ("https://evil.example/", "//evil.example", "/\\evil", "", None, "alerts"):
        assert safe_next(outside) == "/"


def report(ref: ResourceRef, category: str) -> TriageReport:
    evidence = [Evidence(summary="seen", tool="k8s_analyze", call_id="t1")]
    return TriageReport(
        status="determined",
        summary="s",
        root_cause=ref,
        category=category,  # type: ignore[arg-type]
        evidence=evidence,
        mode="none",
    )


def test_a_finding_is_charted_by_the_series_of_its_kind_of_fault() -> None:
    workload = ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api")
    memory = finding_charts(report(workload, "resource.memory"), [])
    assert [c.query for c in memory] == [
        'container_memory_working_set_bytes{namespace="payments",pod=~"api-.*"}',
        'kube_pod_container_resource_limits{namespace="payments",pod=~"api-.*",resource="memory"}',
        'kube_pod_container_status_restarts_total{namespace="payments",pod=~"api-.*"}',
    ]
    assert memory[0].unit == "bytes"
    pod = ResourceRef(cloud="kubernetes", kind="Pod", namespace="shop", name="cart-1")
    assert finding_charts(report(pod, "image.pull"), [])[0].query == (
        'kube_pod_container_status_restarts_total{namespace="shop",pod="cart-1"}'
    )
    node = ResourceRef(cloud="kubernetes", kind="Node", name="w3")
    assert "kube_node_status_condition" in finding_charts(report(node, "host.down"), [])[0].query
    datastore = ResourceRef(cloud="vsphere", kind="Datastore", name="ds1")
    assert finding_charts(report(datastore, "storage.full"), [])[0].query == (
        'vsphere_datastore_free_bytes{datastore="ds1"}'
    )
    openstack = ResourceRef(cloud="openstack", kind="Server", name="vm1")
    assert finding_charts(report(openstack, "host.down"), []) == []


def test_the_metrics_a_model_queried_are_charted_first_once_each() -> None:
    calls = [
        {"call_id": "t2", "tool": "metrics_query", "arguments": {"query": "up", "minutes": 30}},
        {"call_id": "t3", "tool": "metrics_query", "arguments": {"query": "up"}},
        {"call_id": "t4", "tool": "k8s_list_pods", "arguments": {"namespace": "x"}},
        {"call_id": "t5", "tool": "metrics_query", "arguments": {"query": "a"}},
        {"call_id": "t6", "tool": "metrics_query", "arguments": {"query": "b"}},
    ]
    workload = ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api")
    charts = finding_charts(report(workload, "resource.cpu"), calls)
    assert [c.query for c in charts][:3] == ["up", "a", "b"] and len(charts) == MAX_CHARTS
    assert charts[0].minutes == 30 and "call t2" in charts[0].title
    assert finding_charts(None, []) == []


def obj(status: str, health: str, gone: bool = False) -> InventoryObjectOut:
    return InventoryObjectOut(
        id=1,
        cluster="lab",
        kind="Pod",
        namespace="ns",
        name="x",
        uid=None,
        labels={},
        status=status,
        health=health,
        node=None,
        owner=None,
        summary={},
        first_seen=T0,
        last_seen=T0,
        gone_at=T0 if gone else None,
    )


def test_the_page_shows_the_stored_health_or_gone() -> None:
    assert health(obj("CrashLoopBackOff", "bad")) == "bad"
    assert health(obj("Running", "ok", gone=True)) == "gone"


def test_times_and_sizes_read_as_people_say_them() -> None:
    assert [span(s) for s in (5, 75, 3600 * 3 + 300, 86400 * 2 + 7200 + 60)] == [
        "5 s",
        "1 min",
        "3 h 5 min",
        "2 d 2 h",
    ]
    assert ago(T0 - timedelta(minutes=12), T0) == "12 min ago"
    assert ago(T0 + timedelta(hours=2), T0) == "in 2 h"
    assert ago(T0, T0) == "just now" and ago(None, T0) == ""
    assert [human_bytes(v) for v in (512, 1536, 268435456)] == ["512 B", "1.5 KiB", "256.0 MiB"]


def test_a_runbook_citation_links_to_the_runbook_page_and_its_section() -> None:
    cited = RunbookCitation(
        runbook_id="k8s-oom-killed",
        title="OOMKilled",
        section="First checks",
        score=0.8,
        call_id="t2",
    )
    assert cited.link == "/api/v1/runbooks/k8s-oom-killed#first-checks"
    assert runbook_page(cited.link) == "/runbooks/k8s-oom-killed#first-checks"
    assert runbook_page("/incidents/3") == "/incidents/3"  # not a runbook: as it is


def test_every_asset_is_served_from_here_never_from_a_cdn() -> None:
    external = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
    imports = re.compile(r"""(?:@import|url\()\s*["']?(?:https?:)?//""", re.IGNORECASE)
    files = [*TEMPLATES.glob("*.html"), *STATIC.glob("*.js"), *STATIC.glob("*.css")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not external.search(text), path
        assert not imports.search(text), path
        assert "fetch('http" not in text and 'fetch("http' not in text, path


def test_the_vendored_chart_library_is_the_version_its_notice_names() -> None:
    folder = STATIC / "vendor" / "uplot"
    notice = (folder / "VERSION").read_text(encoding="utf-8")
    assert "uplot 1.6.32" in notice and "MIT" in notice
    listed = dict(re.findall(r"^([0-9a-f]{64})  (\S+)$", notice, re.MULTILINE))
    assert set(listed.values()) == {"uPlot.iife.min.js", "uPlot.min.css", "LICENSE"}
    for digest, name in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert Path(folder / "LICENSE").read_text(encoding="utf-8").startswith("The MIT License")
