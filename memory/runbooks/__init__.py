"""Runbooks: markdown with YAML front matter, parsed, chunked by section, and ingested.

The library PixelView ships lives in `library/` beside this file (`LIBRARY`); a
deployment points `memory.runbooks_dir` at its own folder. See docs/memory.md for
the format.
"""

from __future__ import annotations

from pathlib import Path

from memory.runbooks.parse import (
    RunbookError,
    chunk_runbook,
    load_folder,
    load_runbook,
    parse_runbook,
)

LIBRARY = Path(__file__).resolve().parent / "library"
"""The runbooks that ship with PixelView (`memory/runbooks/library/<id>.md`)."""

__all__ = [
    "LIBRARY",
    "RunbookError",
    "chunk_runbook",
    "load_folder",
    "load_runbook",
    "parse_runbook",
]
