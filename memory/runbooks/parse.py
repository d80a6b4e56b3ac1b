"""Parse a runbook's front matter, split its body by `##` section, and chunk it.

```
---
title: Pods OOMKilled after a memory limit that is too low
applies_to:
  cloud: kubernetes            # kubernetes | openstack | vsphere
  kinds: [Deployment, Pod]
  alerts: [KubePodCrashLooping]
  labels: {}
  categories: [resource.memory]
tags: [kubernetes, memory, oom]
---
# Pods OOMKilled after a memory limit that is too low
<intro: the Overview section>
## Symptoms
...
```

Every problem is reported with the file and the key (`applies_to.cloud`), and the
nearest valid value where there is a list of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml

from core.errors import InvalidRequest
from core.suggest import did_you_mean
from memory.models import (
    KIND_PATTERN,
    RUNBOOK_ID_PATTERN,
    AppliesTo,
    Category,
    Cloud,
    Runbook,
    RunbookChunk,
    RunbookSection,
)

CLOUDS: tuple[str, ...] = get_args(Cloud)
CATEGORIES: tuple[str, ...] = get_args(Category)
TOP_KEYS = ("title", "applies_to", "tags")
APPLIES_KEYS = ("cloud", "kinds", "alerts", "labels", "categories")
OVERVIEW = "Overview"
"""The section name of the text between the `#` title and the first `##` heading."""
MAX_CHUNK_WORDS = 150
"""A longer section is cut at paragraph breaks into chunks of about this many words: the
embedder reads 256 tokens, and technical text runs at ~1.5 tokens a word."""
SKIPPED_FILES = frozenset({"README.md"})

_FENCE = re.compile(r"^\s*(```|~~~)")
_NAME_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,63}$")


class RunbookError(InvalidRequest):
    """A runbook file cannot be used; the message names the file and the key."""


def parse_runbook(text: str, *, runbook_id: str, source: str) -> Runbook:
    """Parse one runbook.

    Args:
        text: The file's content, front matter first.
        runbook_id: Its id (`[a-z0-9-]+`; the file stem).
        source: Where it came from, for messages and for the stored record.

    Raises:
        RunbookError: naming `source` and the key or line at fault.
    """
    if not re.fullmatch(RUNBOOK_ID_PATTERN, runbook_id):
        raise RunbookError(
            f"{source}: the runbook id {runbook_id!r} (the file name without .md) must be "
            f"lower-case letters, digits and dashes"
        )
    front, body = _split_front_matter(text.removeprefix("\ufeff").replace("\r\n", "\n"), source)
    meta = _front_matter(front, source)
    sections = _sections(body)
    if not sections:
        raise RunbookError(f"{source}: the runbook has no text after its front matter")
    return Runbook(
        id=runbook_id,
        title=meta["title"],
        applies_to=meta["applies_to"],
        tags=meta["tags"],
        sections=tuple(sections),
        markdown=text,
        source=source,
    )


def load_runbook(path: Path) -> Runbook:
    """Read and parse `path`; its stem is the runbook id.

    Raises:
        RunbookError: the file cannot be read or parsed (naming it).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RunbookError(f"{path}: cannot be read as UTF-8 text: {e}") from e
    return parse_runbook(text, runbook_id=path.stem, source=path.as_posix())


def load_folder(folder: Path) -> list[Runbook]:
    """Every `*.md` runbook directly in `folder` (README.md aside), by id.

    Raises:
        RunbookError: the folder is missing, or any file is invalid (every problem is
            listed, one per line).
    """
    if not folder.is_dir():
        raise RunbookError(f"runbook folder {folder} does not exist")
    runbooks: list[Runbook] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.md")):
        if path.name in SKIPPED_FILES:
            continue
        try:
            runbooks.append(load_runbook(path))
        except RunbookError as e:
            problems.append(e.message)
    if problems:
        count = f"{len(problems)} runbook{'s' if len(problems) > 1 else ''}"
        raise RunbookError(f"{count} in {folder} cannot be loaded:\n" + "\n".join(problems))
    return runbooks


def chunk_runbook(runbook: Runbook, *, max_words: int = MAX_CHUNK_WORDS) -> list[RunbookChunk]:
    """One chunk per section (more for a long one), each led by the runbook's title.

    The title line makes every chunk stand on its own: a search matches "OOMKilled" in
    the title of a runbook whose Checks section never repeats it.
    """
    chunks: list[RunbookChunk] = []
    for section in runbook.sections:
        for part in _split_long(section.body, max_words):
            header = (
                runbook.title
                if section.heading == OVERVIEW
                else (f"{runbook.title} — {section.heading}")
            )
            chunks.append(
                RunbookChunk(
                    runbook_id=runbook.id,
                    index=len(chunks),
                    section=section.heading,
                    text=f"{header}\n\n{part}",
                )
            )
    return chunks


# ---------------------------------------------------------------- front matter


def _split_front_matter(text: str, source: str) -> tuple[str, str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise RunbookError(
            f"{source}: no front matter: the file must start with a `---` line, then the YAML "
            f"(title, applies_to, tags), then a `---` line"
        )
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    raise RunbookError(f"{source}: the front matter has no closing `---` line")


def _front_matter(front: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as e:
        raise RunbookError(f"{source}: the front matter is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise RunbookError(f"{source}: the front matter must be a mapping of {', '.join(TOP_KEYS)}")
    _no_unknown_keys(data, TOP_KEYS, "", source)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise RunbookError(f"{source}: title: required, a line of text")
    if "applies_to" not in data:
        raise RunbookError(f"{source}: applies_to: required (at least `cloud`)")
    tags = _strings(data.get("tags", []), "tags", source)
    for tag in tags:
        if not _TAG.match(tag):
            raise RunbookError(f"{source}: tags: {tag!r} must be lower-case, without spaces")
    return {
        "title": title.strip(),
        "applies_to": _applies_to(data["applies_to"], source),
        "tags": tags,
    }


def _applies_to(data: object, source: str) -> AppliesTo:
    if not isinstance(data, dict):
        raise RunbookError(f"{source}: applies_to: must be a mapping of {', '.join(APPLIES_KEYS)}")
    _no_unknown_keys(data, APPLIES_KEYS, "applies_to.", source)
    cloud = data.get("cloud")
    if cloud is None:
        raise RunbookError(f"{source}: applies_to.cloud: required, one of {', '.join(CLOUDS)}")
    _one_of(cloud, CLOUDS, "applies_to.cloud", source)
    kinds = _strings(data.get("kinds", []), "applies_to.kinds", source)
    for kind in kinds:
        if not re.fullmatch(KIND_PATTERN, kind):
            raise RunbookError(
                f"{source}: applies_to.kinds: {kind!r} is not a kind word (`Deployment`, `Server`)"
            )
    alerts = _strings(data.get("alerts", []), "applies_to.alerts", source)
    for alert in alerts:
        if not _NAME_TOKEN.match(alert):
            raise RunbookError(f"{source}: applies_to.alerts: {alert!r} is not an alert name")
    categories = _strings(data.get("categories", []), "applies_to.categories", source)
    for category in categories:
        _one_of(category, CATEGORIES, "applies_to.categories", source)
    return AppliesTo.model_validate(
        {
            "cloud": cloud,
            "kinds": kinds,
            "alerts": alerts,
            "labels": _labels(data.get("labels"), source),
            "categories": categories,
        }
    )


def _labels(data: object, source: str) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RunbookError(f"{source}: applies_to.labels: must be a mapping of label: value")
    labels: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not _NAME_TOKEN.match(key):
            raise RunbookError(f"{source}: applies_to.labels: {key!r} is not a label name")
        if not isinstance(value, str | int | float | bool):
            raise RunbookError(f"{source}: applies_to.labels.{key}: must be one value")
        labels[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return labels


def _strings(value: object, key: str, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RunbookError(f"{source}: {key}: must be a list of names, e.g. [a, b]")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _one_of(value: object, allowed: Sequence[str], key: str, source: str) -> None:
    if value in allowed:
        return
    listed = ", ".join(allowed) if len(allowed) <= 5 else "the taxonomy of SCENARIOS.md"
    near = did_you_mean(value, allowed)
    raise RunbookError(f"{source}: {key}: {value!r} is not one of {listed}{near}")


def _no_unknown_keys(data: dict[Any, Any], known: Sequence[str], prefix: str, source: str) -> None:
    for key in data:
        if key not in known:
            raise RunbookError(
                f"{source}: {prefix}{key}: unknown key (known: {', '.join(known)})"
                f"{did_you_mean(key, known)}"
            )


# ---------------------------------------------------------------- sections


def _sections(body: str) -> list[RunbookSection]:
    """`##` sections (outside code fences); the text before the first is the Overview."""
    sections: list[tuple[str, list[str]]] = [(OVERVIEW, [])]
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            sections.append((line[3:].strip(), []))
            continue
        elif not in_fence and line.startswith("# ") and sections[-1][0] == OVERVIEW:
            continue  # the title: the front matter's title is the one used
        sections[-1][1].append(line)
    out = []
    for heading, lines in sections:
        text = "\n".join(lines).strip()
        if text:
            out.append(RunbookSection(heading=heading or OVERVIEW, body=text))
    return out


def _split_long(body: str, max_words: int) -> Iterable[str]:
    """Cut at paragraph breaks (never inside a code fence) into parts of ~`max_words`."""
    paragraphs = _paragraphs(body)
    part: list[str] = []
    words = 0
    for paragraph in paragraphs:
        size = len(paragraph.split())
        if part and words + size > max_words:
            yield "\n\n".join(part)
            part, words = [], 0
        part.append(paragraph)
        words += size
    if part:
        yield "\n\n".join(part)


def _paragraphs(body: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                paragraphs.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs
