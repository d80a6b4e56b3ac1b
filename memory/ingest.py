"""Runbooks into the store: a folder of files, or one uploaded file."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core.errors import Conflict, NotFound, TooLarge
from memory.models import RUNBOOK_ID_PATTERN, RunbookInfo, UpsertOutcome
from memory.port import MemoryStore
from memory.runbooks import RunbookError, load_folder, parse_runbook

UPLOAD_PREFIX = "upload:"
"""The `source` of an uploaded runbook: `upload:<file name>`."""
MAX_UPLOAD_BYTES = 256 * 1024
"""The largest runbook an upload may be (the library's largest is under 8 KiB)."""


@dataclass
class FolderIngest:
    """What loading a folder did, runbook by runbook."""

    outcomes: list[UpsertOutcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    """Runbooks whose file left the folder, deleted from the store (with `prune`)."""

    def count(self, status: str) -> int:
        """How many runbooks were `created`, `updated` or `unchanged`."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chunks(self) -> int:
        """Chunks of every runbook of the folder."""
        return sum(o.chunks for o in self.outcomes)


async def ingest_folder(store: MemoryStore, folder: Path, *, prune: bool = True) -> FolderIngest:
    """Store every runbook of `folder`; with `prune`, forget those whose file is gone.

    The whole folder is parsed before anything is stored: one invalid file stores nothing
    and raises, naming every invalid file.

    Raises:
        RunbookError: the folder is missing or a file is invalid.
    """
    runbooks = await asyncio.to_thread(load_folder, folder)
    report = FolderIngest()
    for runbook in runbooks:
        report.outcomes.append(await store.upsert_runbook(runbook))
    if prune:
        present = {r.id for r in runbooks}
        stored = await store.list_runbooks()
        for runbook_id in await asyncio.to_thread(_gone_from, folder, stored, present):
            await store.delete_runbook(runbook_id)
            report.removed.append(runbook_id)
    return report


def _gone_from(folder: Path, stored: list[RunbookInfo], present: set[str]) -> list[str]:
    """The stored runbooks loaded from a file of `folder` that is no longer there."""
    here = folder.resolve()
    return [
        info.id
        for info in stored
        if not is_uploaded(info)
        and info.id not in present
        and Path(info.source).resolve().parent == here
    ]


def is_uploaded(info: RunbookInfo) -> bool:
    """Whether a stored runbook came from an upload (not from the runbook folder)."""
    return info.source.startswith(UPLOAD_PREFIX)


async def ingest_upload(
    store: MemoryStore, *, filename: str, content: bytes | str, runbook_id: str | None = None
) -> UpsertOutcome:
    """Parse and store one uploaded runbook; its id is `runbook_id` or the file's stem.

    An upload may replace an earlier upload, never a runbook of the folder: the next load of
    the folder would silently put the file's version back.

    Raises:
        TooLarge: more than `MAX_UPLOAD_BYTES`.
        RunbookError: the content is not a valid runbook (naming `upload:<filename>`).
        Conflict: the id is a runbook of the folder.
    """
    source = f"{UPLOAD_PREFIX}{PurePosixPath(filename).name}"
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"{source}: {len(raw)} bytes; a runbook may be {MAX_UPLOAD_BYTES} at most")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RunbookError(f"{source}: not UTF-8 text: {e}") from e
    rid = runbook_id or PurePosixPath(filename).stem
    if not re.fullmatch(RUNBOOK_ID_PATTERN, rid):
        raise RunbookError(
            f"{source}: runbook id {rid!r} must be lower-case letters, digits and '-' "
            "(up to 128), starting with a letter or digit"
        )
    runbook = parse_runbook(text, runbook_id=rid, source=source)
    existing = await _stored(store, rid)
    if existing is not None and not is_uploaded(existing):
        raise Conflict(
            f"runbook {rid!r} comes from the runbook folder ({existing.source}); "
            "edit that file, or upload under another id"
        )
    return await store.upsert_runbook(runbook)


async def delete_upload(store: MemoryStore, runbook_id: str) -> RunbookInfo:
    """Delete an uploaded runbook and return what it was.

    Raises:
        NotFound: no runbook has this id.
        Conflict: it comes from the runbook folder (the next load would bring it back).
    """
    existing = await _stored(store, runbook_id)
    if existing is None:
        raise NotFound(f"no runbook {runbook_id!r}")
    if not is_uploaded(existing):
        raise Conflict(
            f"runbook {runbook_id!r} comes from the runbook folder ({existing.source}); "
            "remove the file and reload the runbooks instead"
        )
    await store.delete_runbook(runbook_id)
    return existing


async def _stored(store: MemoryStore, runbook_id: str) -> RunbookInfo | None:
    try:
        return await store.get_runbook(runbook_id)
    except NotFound:
        return None
