"""What the memory store takes and returns: frozen DTOs, never Chroma's objects."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.taxonomy import Category as Category  # re-exported: part of this module's vocabulary
from core.taxonomy import Cloud as Cloud

RUNBOOK_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,127}$"
KIND_PATTERN = r"^[A-Za-z][A-Za-z0-9]{0,63}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- runbooks


class AppliesTo(_Frozen):
    """Where a runbook applies: one cloud, and the kinds, alerts, labels and categories."""

    cloud: Cloud
    kinds: tuple[str, ...] = ()
    """The platform's own kind words: `Deployment`, `Pod`, `Server`, `HostSystem`..."""
    alerts: tuple[str, ...] = ()
    """Alert names, as the monitoring sends them (`KubePodCrashLooping`)."""
    labels: dict[str, str] = {}
    """`label: value` hints (`severity: critical`); searchable as `label=value`."""
    categories: tuple[Category, ...] = ()


class RunbookSection(_Frozen):
    """One `##` section of a runbook (the text before the first one is `Overview`)."""

    heading: str
    body: str


class Runbook(_Frozen):
    """A parsed runbook: front matter, sections, and the markdown it came from."""

    id: str = Field(pattern=RUNBOOK_ID_PATTERN)
    """The file stem: `[a-z0-9-]+`."""
    title: str = Field(min_length=1, max_length=300)
    applies_to: AppliesTo
    tags: tuple[str, ...] = ()
    sections: tuple[RunbookSection, ...]
    markdown: str
    """The whole file, front matter included, as it was given."""
    source: str
    """Where it came from: a file path, or `upload:<name>`."""

    @property
    def version(self) -> str:
        """The content hash: the first 16 hex digits of the markdown's SHA-256."""
        return content_version(self.markdown)


def content_version(markdown: str) -> str:
    """A runbook's version: the first 16 hex digits of its markdown's SHA-256."""
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()[:16]


class RunbookChunk(_Frozen):
    """What is embedded and searched: one section with its runbook's title before it."""

    runbook_id: str
    index: int
    """Position of the section in the runbook, from 0."""
    section: str
    text: str


class RunbookInfo(_Frozen):
    """A stored runbook, without its text."""

    id: str
    title: str
    version: str
    chunks: int
    source: str
    cloud: Cloud
    tags: tuple[str, ...] = ()
    updated: datetime
    """When this version was stored."""


class StoredRunbook(RunbookInfo):
    """A stored runbook with the markdown it was stored from."""

    markdown: str


UpsertStatus = Literal["created", "updated", "unchanged"]


class UpsertOutcome(_Frozen):
    """What storing a runbook did: a new runbook, a new version, or nothing (same content)."""

    runbook_id: str
    version: str
    chunks: int
    status: UpsertStatus


class RunbookFilters(_Frozen):
    """Hard filters of a runbook search: a chunk must match every one given.

    A runbook that lists no kinds (alerts, categories) never matches a kind (alert,
    category) filter. To prefer, not require, an alert or a kind, name it in the query
    text instead: an exact mention gives a keyword boost.
    """

    cloud: Cloud | None = None
    kind: str | None = None
    alert: str | None = None
    category: Category | None = None


class RunbookHit(_Frozen):
    """One retrieved runbook section."""

    runbook_id: str
    title: str
    section: str
    text: str
    source: str
    version: str
    score: float
    """`similarity + boost`: what is ranked and compared with the threshold."""
    similarity: float
    """Cosine similarity of the query and the chunk, -1 to 1."""
    boost: float
    """Keyword boost: the query names one of the runbook's alerts, kinds or tags."""
    matched: tuple[str, ...] = ()
    """The alerts, kinds and tags the query named (`alert:KubePodCrashLooping`)."""


class RunbookSearch(_Frozen):
    """The answer to a runbook search: hits at or above the threshold, or no good match."""

    query: str
    hits: tuple[RunbookHit, ...]
    threshold: float
    best_score: float | None
    """The best candidate's score, also when it is below the threshold; None: no candidate."""
    nearest: RunbookHit | None = None
    """With no good match: the best candidate below the threshold, for the record."""

    @property
    def no_good_match(self) -> bool:
        """No runbook section scored at or above the threshold."""
        return not self.hits


# ---------------------------------------------------------------- past incidents


class ResourceKey(_Frozen):
    """A resource in the platform's own words, as a triage report names it."""

    cloud: Cloud
    kind: str = Field(pattern=KIND_PATTERN)
    namespace: str | None = None
    name: str = Field(min_length=1, max_length=253)

    @property
    def key(self) -> str:
        """`cloud/kind/namespace/name` (`-` for no namespace)."""
        return f"{self.cloud}/{self.kind}/{self.namespace or '-'}/{self.name}"


class IncidentMemory(_Frozen):
    """A resolved incident as remembered for "similar past incidents"."""

    incident_id: str = Field(pattern=NAME_PATTERN)
    summary: str = Field(min_length=1, max_length=4000)
    resources: tuple[ResourceKey, ...] = ()
    root_cause: str = Field("", max_length=4000)
    category: Category | None = None
    resolution: str = Field("", max_length=4000)
    time_to_resolve_s: float | None = Field(None, ge=0)
    resolved_at: datetime | None = None

    @property
    def clouds(self) -> tuple[Cloud, ...]:
        """The clouds of its resources, each once."""
        return tuple(dict.fromkeys(r.cloud for r in self.resources))


class IncidentFilters(_Frozen):
    """Hard filters of a past-incident search."""

    cloud: Cloud | None = None
    category: Category | None = None
    resource: ResourceKey | None = None


class IncidentHit(_Frozen):
    """A similar past incident and how similar (cosine of the two descriptions)."""

    incident: IncidentMemory
    score: float


class IncidentSearch(_Frozen):
    """Similar past incidents at or above the threshold, or no good match."""

    query: str
    hits: tuple[IncidentHit, ...]
    threshold: float
    best_score: float | None
    nearest: IncidentHit | None = None

    @property
    def no_good_match(self) -> bool:
        """No past incident scored at or above the threshold."""
        return not self.hits
