"""Runbook files: front matter, sections, chunks, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory.models import content_version
from memory.runbooks import RunbookError, chunk_runbook, load_folder, load_runbook, parse_runbook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"

GOOD = """\
---
title: Pods OOMKilled after a memory limit that is too low
applies_to:
  cloud: kubernetes            # kubernetes | openstack | vsphere
  kinds: [Deployment, Pod]
  alerts: [KubePodCrashLooping]
  labels: {severity: critical, paged: true}
  categories: [resource.memory]
tags: [kubernetes, memory, oom]
---
# Pods OOMKilled after a memory limit that is too low

Intro line.

## Symptoms

Pods restart.

## Checks

```sh
## not a heading: a comment in a shell block
kubectl describe pod
```

### A sub-heading stays in its section

More checks.

## Empty

## Remediation

Use `kubernetes.set_memory_limit`.
"""


def parse(text: str, runbook_id: str = "k8s-oom") -> object:
    return parse_runbook(text, runbook_id=runbook_id, source="lib/k8s-oom.md")


def test_front_matter_and_sections() -> None:
    runbook = parse_runbook(GOOD, runbook_id="k8s-oom", source="lib/k8s-oom.md")
    assert runbook.title == "Pods OOMKilled after a memory limit that is too low"
    assert runbook.applies_to.cloud == "kubernetes"
    assert runbook.applies_to.kinds == ("Deployment", "Pod")
    assert runbook.applies_to.alerts == ("KubePodCrashLooping",)
    assert runbook.applies_to.labels == {"severity": "critical", "paged": "true"}
    assert runbook.applies_to.categories == ("resource.memory",)
    assert runbook.tags == ("kubernetes", "memory", "oom")
    assert [s.heading for s in runbook.sections] == [
        "Overview",
        "Symptoms",
        "Checks",
        "Remediation",
    ]
    assert runbook.sections[0].body == "Intro line."
    checks = runbook.sections[2].body
    assert "## not a heading" in checks and "### A sub-heading" in checks
    assert runbook.markdown == GOOD
    assert runbook.version == content_version(GOOD) and len(runbook.version) == 16


def test_chunks_carry_the_title_and_their_section() -> None:
    runbook = parse_runbook(GOOD, runbook_id="k8s-oom", source="lib/k8s-oom.md")
    chunks = chunk_runbook(runbook)
    assert [(c.index, c.section) for c in chunks] == [
        (0, "Overview"),
        (1, "Symptoms"),
        (2, "Checks"),
        (3, "Remediation"),
    ]
    assert chunks[0].text == f"{runbook.title}\n\nIntro line."
    assert chunks[1].text == f"{runbook.title} — Symptoms\n\nPods restart."
    assert all(c.runbook_id == "k8s-oom" for c in chunks)


def test_a_long_section_is_cut_at_paragraphs() -> None:
    paragraph = " ".join(["word"] * 60)
    body = "\n\n".join([paragraph] * 5)
    text = GOOD.replace("Pods restart.", body)
    runbook = parse_runbook(text, runbook_id="k8s-oom", source="x.md")
    symptoms = [c for c in chunk_runbook(runbook, max_words=150) if c.section == "Symptoms"]
    assert len(symptoms) == 3  # 120 + 120 + 60 words
    assert all(c.text.startswith(f"{runbook.title} — Symptoms") for c in symptoms)
    assert [c.index for c in chunk_runbook(runbook)] == list(range(len(chunk_runbook(runbook))))


def test_windows_line_endings_and_a_byte_order_mark() -> None:
    runbook = parse_runbook("\ufeff" + GOOD.replace("\n", "\r\n"), runbook_id="a", source="a.md")
    assert [s.heading for s in runbook.sections][1] == "Symptoms"


def test_no_intro_means_no_overview() -> None:
    text = GOOD.replace("Intro line.\n", "")
    runbook = parse_runbook(text, runbook_id="a", source="a.md")
    assert runbook.sections[0].heading == "Symptoms"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter\n", r"lib/k8s-oom\.md: no front matter"),
        ("---\ntitle: x\n", "no closing `---`"),
        ("---\ntitle: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\n- a list\n---\nbody\n", "must be a mapping"),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere}\ntgas: [a]\n---\nb\n",
            r"tgas: unknown key.*'tags'",
        ),
        ("---\napplies_to: {cloud: vsphere}\n---\nbody\n", "title: required"),
        ("---\ntitle: x\n---\nbody\n", "applies_to: required"),
        ("---\ntitle: x\napplies_to: {kinds: [Pod]}\n---\nb\n", "applies_to.cloud: required"),
        ("---\ntitle: x\napplies_to: {cloud: kubernets}\n---\nb\n", "did you mean 'kubernetes'"),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, kind: [A]}\n---\nb\n",
            r"applies_to\.kind: .*'kinds'",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, kinds: Pod}\n---\nb\n",
            r"applies_to\.kinds: must be a list",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, kinds: [a pod]}\n---\nb\n",
            "not a kind word",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, alerts: [a b]}\n---\nb\n",
            "not an alert name",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, categories: [resource.mem]}\n---\nb\n",
            r"applies_to\.categories: 'resource\.mem'.*did you mean 'resource\.memory'",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, labels: [a]}\n---\nb\n",
            "labels: must be a mapping",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere, labels: {a: [1]}}\n---\nb\n",
            r"labels\.a: must be one value",
        ),
        (
            "---\ntitle: x\napplies_to: {cloud: vsphere}\ntags: [Big Tag]\n---\nb\n",
            "tags: 'Big Tag'",
        ),
        ("---\ntitle: x\napplies_to: {cloud: vsphere}\n---\n# only a title\n", "no text after"),
    ],
)
def test_errors_name_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(RunbookError, match=message) as error:
        parse(text)
    assert error.value.message.startswith("lib/k8s-oom.md: ")


def test_the_id_must_be_a_file_stem_of_lowercase_words() -> None:
    with pytest.raises(RunbookError, match=r"x\.md: the runbook id 'K8s_OOM'"):
        parse_runbook(GOOD, runbook_id="K8s_OOM", source="x.md")


def test_load_folder_reads_every_runbook_and_skips_the_readme() -> None:
    runbooks = load_folder(FIXTURES)
    assert len(runbooks) == 8
    assert [r.id for r in runbooks] == sorted(r.id for r in runbooks)
    assert all(r.source == (FIXTURES / f"{r.id}.md").as_posix() for r in runbooks)


def test_load_folder_lists_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# not a runbook\n")
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "bad-cloud.md").write_text(GOOD.replace("cloud: kubernetes", "cloud: aws"))
    (tmp_path / "Bad_Name.md").write_text(GOOD)
    with pytest.raises(RunbookError) as error:
        load_folder(tmp_path)
    lines = error.value.message.splitlines()
    assert lines[0] == f"2 runbooks in {tmp_path} cannot be loaded:"
    assert any(line.startswith(f"{tmp_path}/bad-cloud.md: applies_to.cloud") for line in lines)
    assert any(line.startswith(f"{tmp_path}/Bad_Name.md: the runbook id") for line in lines)


def test_missing_folder_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="does not exist"):
        load_folder(tmp_path / "nope")
    bad = tmp_path / "latin.md"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(RunbookError, match=r"latin\.md: cannot be read as UTF-8"):
        load_runbook(bad)
