"""What the collections hold: each record's id and metadata, and the DTOs read back.

Chroma metadata values are strings, numbers, booleans or non-empty lists of one of
those; an empty list is left out, and `strings` reads an absent key as empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from memory.models import (
    AppliesTo,
    IncidentMemory,
    Runbook,
    RunbookChunk,
    RunbookInfo,
)

Metadata = Mapping[str, Any]


def chunk_id(runbook_id: str, version: str, index: int) -> str:
    """`<runbook>@<version>#<index>`: a new version's chunks never overwrite the old ones."""
    return f"{runbook_id}@{version}#{index}"


def chunk_metadata(
    chunk: RunbookChunk,
    *,
    title: str,
    applies_to: AppliesTo,
    tags: Sequence[str],
    version: str,
    source: str,
    updated: str,
) -> dict[str, Any]:
    """The metadata stored with a chunk: what filters, boosts and hits read.

    Lists are stored as Chroma array metadata; an empty list is left out (Chroma refuses
    empty arrays), which the readers treat as empty. `keys` are what the key lookup
    matches: the alert names and `label=value` pairs, lower-cased.
    """
    labels = [f"{k}={v}" for k, v in sorted(applies_to.labels.items())]
    lists = {
        "kinds": list(applies_to.kinds),
        "alerts": list(applies_to.alerts),
        "categories": list(applies_to.categories),
        "tags": list(tags),
        "labels": labels,
        "keys": runbook_keys(applies_to),
    }
    return {
        "runbook_id": chunk.runbook_id,
        "title": title,
        "section": chunk.section,
        "index": chunk.index,
        "cloud": applies_to.cloud,
        "version": version,
        "source": source,
        "updated": updated,
        **{key: value for key, value in lists.items() if value},
    }


def runbook_keys(applies_to: AppliesTo) -> list[str]:
    """The lower-cased alert names and `label=value` pairs of a runbook: its lookup keys."""
    labels = [f"{k}={v}" for k, v in applies_to.labels.items()]
    return sorted({k.lower() for k in (*applies_to.alerts, *labels)})


def strings(metadata: Metadata, key: str) -> tuple[str, ...]:
    """A list-valued metadata key (absent: empty)."""
    value = metadata.get(key)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def runbook_metadata(runbook: Runbook, *, chunks: int, updated: str) -> dict[str, Any]:
    """The runbook record's metadata: what listing runbooks shows, and its lookup keys."""
    meta: dict[str, Any] = {
        "title": runbook.title,
        "version": runbook.version,
        "chunks": chunks,
        "source": runbook.source,
        "cloud": runbook.applies_to.cloud,
        "updated": updated,
    }
    if runbook.tags:
        meta["tags"] = list(runbook.tags)
    if keys := runbook_keys(runbook.applies_to):
        meta["keys"] = keys
    return meta


def runbook_info(runbook_id: str, meta: Metadata) -> RunbookInfo:
    """A runbook record's metadata as a `RunbookInfo`."""
    return RunbookInfo(
        id=runbook_id,
        title=str(meta["title"]),
        version=str(meta["version"]),
        chunks=int(meta["chunks"]),
        source=str(meta["source"]),
        cloud=meta["cloud"],
        tags=strings(meta, "tags"),
        updated=meta["updated"],
    )


def incident_text(incident: IncidentMemory) -> str:
    """What an incident is found by: its summary, category and root cause."""
    parts = [incident.summary]
    if incident.category:
        parts.append(f"Category: {incident.category}")
    if incident.root_cause:
        parts.append(f"Root cause: {incident.root_cause}")
    return "\n".join(parts)


def incident_metadata(incident: IncidentMemory) -> dict[str, Any]:
    """The whole record (as JSON), and the clouds, resources and category filters read."""
    meta: dict[str, Any] = {"record": incident.model_dump_json()}
    if incident.clouds:
        meta["clouds"] = list(incident.clouds)
    if incident.resources:
        meta["resources"] = [r.key for r in incident.resources]
    if incident.category:
        meta["category"] = incident.category
    return meta


def incident_from(meta: Metadata) -> IncidentMemory:
    """The incident a record's metadata holds, as it was recorded."""
    return IncidentMemory.model_validate_json(str(meta["record"]))
