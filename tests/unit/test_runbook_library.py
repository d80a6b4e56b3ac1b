"""The starter runbook library and its labelled retrieval set are well formed and consistent.

Every `memory/runbooks/library/<id>.md` has the fixed front matter (title, applies_to, tags)
and the sections a reader and the ingestion rely on; every lab fault has a runbook that names
its category and one of its alerts; every action a runbook names in backticks is one the
lab's StackStorm catalog has, and none proposes deleting a namespace. Every query of
`memory/runbooks/retrieval_set.yaml` expects a runbook of the library, with filters that the
expected runbook satisfies.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.faults.catalog import FAULTS
from lab.world.stackstorm_catalog import action_catalog

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "memory" / "runbooks" / "library"
RETRIEVAL_SET = ROOT / "memory" / "runbooks" / "retrieval_set.yaml"

MIN_RUNBOOKS = 30
MIN_QUERIES = 60
LINES = (40, 120)
"""A runbook's length in lines, front matter included."""

TAXONOMY = frozenset({
    "resource.cpu", "resource.memory", "resource.disk", "resource.quota", "crash.application",
    "crash.config", "image.pull", "scheduling.capacity", "scheduling.constraints", "network.dns",
    "network.connectivity", "network.port", "network.policy", "storage.attach", "storage.full",
    "storage.latency", "host.down", "host.maintenance", "host.disconnected",
    "hypervisor.overcommit", "identity.auth", "dependency.database", "dependency.service", "none",
})  # fmt: skip
"""The categories of SCENARIOS.md."""
KINDS = {
    "kubernetes": frozenset({
        "Deployment", "Pod", "Node", "Namespace", "Service", "ConfigMap", "Secret", "StatefulSet",
        "DaemonSet", "PersistentVolumeClaim", "HorizontalPodAutoscaler", "NetworkPolicy",
        "Certificate",
    }),
    "openstack": frozenset({
        "Server", "Hypervisor", "Volume", "Project", "Port", "Network", "Image",
    }),
    "vsphere": frozenset({"HostSystem", "VirtualMachine", "Datastore"}),
}  # fmt: skip
"""The kind words a runbook may apply to: the platform's own (SCENARIOS.md), per cloud."""
FRONT_MATTER_KEYS = ("title", "applies_to", "tags")
APPLIES_TO_KEYS = ("cloud", "kinds", "alerts", "labels", "categories")
REQUIRED_SECTIONS = ("Symptoms", "Checks", "Remediation", "Verify")
OPTIONAL_SECTIONS = frozenset({"Escalate", "Notes"})
QUERY_KEYS = frozenset({"id", "kind", "query", "filters", "expected"})
QUERY_KINDS = ("alert", "question")
FILTER_KEYS = frozenset({"cloud", "kind", "alert"})
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DOCUMENT = re.compile(r"\A---\n(?P<front>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
SECTION = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
ACTION = re.compile(r"`((?:kubernetes|openstack|vsphere|linux|core)\.[a-z_]+)(?=[`\s({])")
"""An action named in backticks: `kubernetes.set_memory_limit` or `vsphere.vm_migrate {vm: ...}`."""
FORBIDDEN_ACTIONS = ("kubernetes.delete_namespace",)

FAULT_RUNBOOKS = {
    "k8s.oom_kill": "k8s-oom-killed",
    "k8s.crashloop_bad_config": "k8s-crashloop-bad-config",
    "k8s.image_pull": "k8s-image-pull-backoff",
    "k8s.node_not_ready": "k8s-node-not-ready",
    "k8s.pending_insufficient_cpu": "k8s-pending-insufficient-cpu",
    "k8s.dns_failure": "k8s-coredns-upstream-servfail",
    "openstack.instance_error": "openstack-instance-error-no-valid-host",
    "openstack.quota_exhausted": "openstack-quota-exhausted",
    "openstack.hypervisor_down": "openstack-nova-compute-down",
    "openstack.volume_stuck_attaching": "openstack-volume-stuck-attaching",
    "vsphere.host_disconnected": "vsphere-host-disconnected",
    "vsphere.host_down": "vsphere-host-not-responding",
    "vsphere.datastore_full": "vsphere-datastore-full",
    "vsphere.vm_cpu_contention": "vsphere-vm-cpu-ready-high",
    "vsphere.vm_powered_off": "vsphere-vm-powered-off",
}
"""The runbook that is each lab fault's best match (the retrieval set expects it first)."""
QUERIES_PER_FAULT_RUNBOOK = 2


@dataclass(frozen=True)
class Runbook:
    id: str
    path: Path
    text: str
    front: dict[str, Any]
    body: str

    @property
    def applies_to(self) -> dict[str, Any]:
        applies_to: dict[str, Any] = self.front["applies_to"]
        return applies_to

    def sections(self) -> list[str]:
        return SECTION.findall(self.body)

    def section(self, name: str) -> str:
        """The text of one `## name` section, up to the next `## ` heading."""
        match = re.search(rf"^## {re.escape(name)}\s*$(.*?)(?=^## |\Z)", self.body, re.S | re.M)
        return match.group(1) if match else ""


def _paths() -> list[Path]:
    return sorted(LIBRARY.glob("*.md"))


@functools.cache
def _runbook(path: Path) -> Runbook:
    text = path.read_text(encoding="utf-8")
    match = DOCUMENT.match(text)
    assert match, f"{path.name}: no front matter between two '---' lines at the top"
    front = yaml.safe_load(match["front"])
    assert isinstance(front, dict), f"{path.name}: the front matter is not a mapping"
    return Runbook(path.stem, path, text, front, match["body"])


@functools.cache
def _library() -> dict[str, Runbook]:
    return {runbook.id: runbook for runbook in map(_runbook, _paths())}


@functools.cache
def _queries() -> list[dict[str, Any]]:
    queries = yaml.safe_load(RETRIEVAL_SET.read_text(encoding="utf-8"))
    assert isinstance(queries, list), "the retrieval set is a list of queries"
    return queries


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


RUNBOOK_PATHS = pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)


def test_the_library_has_enough_runbooks_with_unique_ids() -> None:
    ids = [path.stem for path in _paths()]
    assert len(ids) >= MIN_RUNBOOKS
    assert len({i.lower() for i in ids}) == len(ids)
    assert not [p.name for p in LIBRARY.iterdir() if p.suffix != ".md"]


@RUNBOOK_PATHS
def test_front_matter_is_exactly_the_format(path: Path) -> None:
    runbook = _runbook(path)
    assert ID.fullmatch(runbook.id), f"{path.name}: the id (file stem) is not [a-z0-9-]+"
    assert tuple(runbook.front) == FRONT_MATTER_KEYS
    assert isinstance(runbook.front["title"], str) and runbook.front["title"].strip()
    assert _strings(runbook.front["tags"]) and runbook.front["tags"]
    applies_to = runbook.applies_to
    assert isinstance(applies_to, dict) and tuple(applies_to) == APPLIES_TO_KEYS
    cloud = applies_to["cloud"]
    assert cloud in KINDS
    assert _strings(applies_to["kinds"]) and applies_to["kinds"]
    assert set(applies_to["kinds"]) <= KINDS[cloud], set(applies_to["kinds"]) - KINDS[cloud]
    assert _strings(applies_to["alerts"])
    labels = applies_to["labels"]
    assert isinstance(labels, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
    assert _strings(applies_to["categories"]) and applies_to["categories"]
    assert set(applies_to["categories"]) <= TAXONOMY, set(applies_to["categories"]) - TAXONOMY


@RUNBOOK_PATHS
def test_body_has_the_title_and_the_sections(path: Path) -> None:
    runbook = _runbook(path)
    first = runbook.body.lstrip("\n").splitlines()[0]
    assert first == f"# {runbook.front['title']}"
    sections = runbook.sections()
    assert [s for s in sections if s in REQUIRED_SECTIONS] == list(REQUIRED_SECTIONS)
    assert set(sections) <= set(REQUIRED_SECTIONS) | OPTIONAL_SECTIONS
    assert len(sections) == len(set(sections))
    for name in REQUIRED_SECTIONS:
        assert runbook.section(name).strip(), f"{path.name}: ## {name} is empty"
    assert LINES[0] <= len(runbook.text.splitlines()) <= LINES[1]


@RUNBOOK_PATHS
def test_actions_exist_in_the_stackstorm_catalog(path: Path) -> None:
    runbook = _runbook(path)
    refs = {action.ref for action in action_catalog()}
    named = set(ACTION.findall(runbook.text))
    assert named <= refs, f"{path.name}: unknown actions {sorted(named - refs)}"
    for forbidden in FORBIDDEN_ACTIONS:
        assert forbidden not in runbook.text
    remediation = runbook.section("Remediation")
    if ACTION.search(remediation):
        assert "approv" in remediation, f"{path.name}: say that actions run only after approval"


def test_every_lab_fault_has_a_runbook_with_its_category_and_an_alert() -> None:
    library = _library()
    for name, fault in FAULTS.items():
        covering = [
            r.id
            for r in library.values()
            if fault.category in r.applies_to["categories"]
            and set(fault.alerts) & set(r.applies_to["alerts"])
        ]
        assert covering, f"no runbook covers {name} ({fault.category}, {fault.alerts})"


def test_each_fault_runbook_is_its_best_match() -> None:
    library = _library()
    assert set(FAULT_RUNBOOKS) <= set(FAULTS)
    assert len(set(FAULT_RUNBOOKS.values())) == len(FAULT_RUNBOOKS)
    for name, runbook_id in FAULT_RUNBOOKS.items():
        fault, runbook = FAULTS[name], library[runbook_id]
        assert fault.category in runbook.applies_to["categories"], name
        assert set(fault.alerts) & set(runbook.applies_to["alerts"]), name
        assert runbook.applies_to["cloud"] == name.split(".")[0].replace("k8s", "kubernetes")


def test_the_retrieval_set_is_well_formed() -> None:
    queries, library = _queries(), _library()
    assert len(queries) >= MIN_QUERIES
    for query in queries:
        assert isinstance(query, dict) and set(query) <= QUERY_KEYS, query
        assert QUERY_KEYS - {"filters"} <= set(query), query
        assert re.fullmatch(r"q\d{3}", query["id"]), query["id"]
        assert query["kind"] in QUERY_KINDS, query["id"]
        assert isinstance(query["query"], str) and query["query"].strip(), query["id"]
        assert query["expected"] in library, f"{query['id']}: unknown {query['expected']}"
    ids = Counter(query["id"] for query in queries)
    assert [i for i, n in ids.items() if n > 1] == []
    kinds = Counter(query["kind"] for query in queries)
    assert min(kinds[k] for k in QUERY_KINDS) >= len(queries) / 3, kinds


def test_the_filters_keep_the_expected_runbook() -> None:
    library = _library()
    for query in _queries():
        filters = query.get("filters") or {}
        assert isinstance(filters, dict) and set(filters) <= FILTER_KEYS, query["id"]
        applies_to = library[query["expected"]].applies_to
        if "cloud" in filters:
            assert filters["cloud"] == applies_to["cloud"], query["id"]
        if "kind" in filters:
            assert filters["kind"] in applies_to["kinds"], query["id"]
        if "alert" in filters:
            assert filters["alert"] in applies_to["alerts"], query["id"]


def test_every_runbook_is_expected_by_a_query() -> None:
    expected = Counter(query["expected"] for query in _queries())
    assert [r for r in _library() if not expected[r]] == []
    for runbook_id in FAULT_RUNBOOKS.values():
        assert expected[runbook_id] >= QUERIES_PER_FAULT_RUNBOOK, runbook_id
