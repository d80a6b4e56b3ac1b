"""Runbooks into the store: a folder of files, or one uploaded file."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from memory.models import RunbookInfo, UpsertOutcome
from memory.port import MemoryStore
from memory.runbooks import RunbookError, load_folder, parse_runbook

UPLOAD_PREFIX = "upload:"
"""The `source` of an uploaded runbook: `upload:<file name>`."""


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
        if not info.source.startswith(UPLOAD_PREFIX)
        and info.id not in present
        and Path(info.source).resolve().parent == here
    ]


async def ingest_upload(
    store: MemoryStore, *, filename: str, content: bytes | str, runbook_id: str | None = None
) -> UpsertOutcome:
    """Parse and store one uploaded runbook; its id is `runbook_id` or the file's stem.

    Raises:
        RunbookError: the content is not a valid runbook (naming `upload:<filename>`).
    """
    source = f"{UPLOAD_PREFIX}{PurePosixPath(filename).name}"
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RunbookError(f"{source}: not UTF-8 text: {e}") from e
    rid = runbook_id or PurePosixPath(filename).stem
    return await store.upsert_runbook(parse_runbook(content, runbook_id=rid, source=source))
