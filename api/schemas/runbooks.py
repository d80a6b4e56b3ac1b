"""Runbooks as the API shows them: the memory's own DTOs, plus what a reader needs."""

from __future__ import annotations

from pydantic import BaseModel

from memory.models import AppliesTo, RunbookInfo, RunbookSection, UpsertOutcome


class RunbookOut(RunbookInfo):
    """A stored runbook, without its text."""

    origin: str
    """`folder` (loaded from `memory.runbooks_dir` or the shipped library) or `upload`."""
    link: str
    """This runbook in the API: `/api/v1/runbooks/{id}`."""


class RunbookDetailOut(RunbookOut):
    """A stored runbook with its markdown, front matter and sections."""

    applies_to: AppliesTo
    sections: tuple[RunbookSection, ...]
    markdown: str


class UploadOut(UpsertOutcome):
    """What an upload did: `created`, `updated` (a new version) or `unchanged`."""

    link: str


class ReloadOut(BaseModel):
    """What reloading the runbook folder did."""

    folder: str
    created: list[str]
    updated: list[str]
    unchanged: int
    removed: list[str]
    chunks: int
