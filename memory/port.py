"""The memory port: runbooks and past incidents, stored and searched by meaning.

Tools and services call it from async code; implementations do blocking I/O in
worker threads. `memory/chroma.py` is the implementation (embedded or server).
"""

from __future__ import annotations

from typing import Protocol

from memory.models import (
    IncidentFilters,
    IncidentMemory,
    IncidentSearch,
    Runbook,
    RunbookFilters,
    RunbookInfo,
    RunbookSearch,
    StoredRunbook,
    UpsertOutcome,
)


class MemoryStore(Protocol):
    """Runbook chunks and incident memories in a vector store.

    Errors: `core.errors.NotFound` for an unknown runbook, `core.errors.Unavailable` when
    the store cannot be reached, `core.errors.InvalidRequest` for an argument the store
    refuses.
    """

    async def check(self) -> None:
        """Reach the store (and load the embedder); raise `Unavailable` if it cannot be."""
        ...

    async def upsert_runbook(self, runbook: Runbook) -> UpsertOutcome:
        """Store a runbook's chunks, replacing any previous version of the same id.

        Storing the same content again changes nothing (`status="unchanged"`).
        """
        ...

    async def delete_runbook(self, runbook_id: str) -> None:
        """Remove a runbook and its chunks; `NotFound` if there is none."""
        ...

    async def list_runbooks(self) -> list[RunbookInfo]:
        """Every stored runbook, by id."""
        ...

    async def get_runbook(self, runbook_id: str) -> StoredRunbook:
        """One stored runbook with its markdown; `NotFound` if there is none."""
        ...

    async def search_runbooks(
        self, query: str, *, filters: RunbookFilters | None = None, k: int = 5
    ) -> RunbookSearch:
        """The `k` best runbook sections for `query` that pass `filters`.

        Ranked by cosine similarity plus a keyword boost (the query names one of the
        runbook's alerts, kinds or tags); sections below the threshold are left out, and
        a search whose best section is below it answers no good match.
        """
        ...

    async def record_incident(self, incident: IncidentMemory) -> None:
        """Remember a resolved incident (replacing an earlier record of the same id)."""
        ...

    async def forget_incident(self, incident_id: str) -> None:
        """Remove an incident memory; `NotFound` if there is none."""
        ...

    async def search_incidents(
        self, query: str, *, filters: IncidentFilters | None = None, k: int = 5
    ) -> IncidentSearch:
        """The `k` past incidents most similar to `query`, at or above the threshold."""
        ...
