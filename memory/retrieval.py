"""Hybrid retrieval, the pure part: metadata filters, keyword terms, boosts and ranking.

A runbook search combines up to three lookups in the store (`memory/chroma.py`):

1. the vector query: the chunks nearest to the query's embedding, filtered afterwards by
   the hard filters (Chroma's filtered vector query costs 3-4 times an unfiltered one on
   10,000 chunks); when fewer than `k` of them pass, the filtered query is run instead;
2. the key lookup, when the query names an alert or a `label=value` that some stored
   runbook lists (exact, case-insensitive): that runbook's chunks, so a runbook for
   `KubePodCrashLooping` is found even when its prose is far from the query's;
3. the text lookup, when the query holds identifiers (`OOMKilled`, `ErrImagePull`,
   `DATABASE_URL`, `137`): the chunks whose text holds one of them verbatim.

Each candidate's score is its cosine similarity plus a keyword boost (capped), and the
search answers "no good match" when the best score is below the threshold. The
weights and the threshold were chosen on labelled queries (docs/memory.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from memory.models import IncidentFilters, RunbookFilters, RunbookHit
from memory.records import Metadata, strings

ALERT_BOOST = 0.15
"""The query names one of the runbook's alerts: the strongest evidence there is."""
KIND_BOOST = 0.04
TAG_BOOST = 0.04
LABEL_BOOST = 0.04
IDENTIFIER_BOOST = 0.05
"""Per identifier of the query found in the chunk's text, up to two."""
MAX_BOOST = 0.25
DEFAULT_THRESHOLD = 0.3
"""Runbook hits below this score are not offered (see docs/memory.md, "The threshold")."""
DEFAULT_INCIDENT_THRESHOLD = 0.5
"""Past incidents less similar than this are not offered."""
MAX_QUERY_TERMS = 24

Where = dict[str, Any]

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:=/-]*[A-Za-z0-9]|[A-Za-z0-9]")
_IDENTIFIER = re.compile(r"^.+[A-Z]|[A-Za-z0-9][_.][A-Za-z0-9]")
_NUMBER = re.compile(r"\d{3,}")
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have how i in is it its my no not of on or our "
    "the this to was were what when where which why with".split()
)


def query_terms(query: str) -> list[str]:
    """The query's distinct words, lower-cased, that could name an alert, kind, tag or label."""
    terms = [t.lower() for t in _TOKEN.findall(query)]
    kept = [t for t in dict.fromkeys(terms) if len(t) > 1 and t not in _STOPWORDS]
    return kept[:MAX_QUERY_TERMS]


def identifiers(query: str) -> list[str]:
    """The query's words that look like identifiers, as written: worth an exact text match.

    `OOMKilled`, `ErrImagePull` (capitals inside), `DATABASE_URL`, `kube-proxy.conf`
    (`_` or `.` inside), `137` (three digits or more): words an error message or a log
    line carries verbatim, unlike prose.
    """
    found = [t.strip(".:=/-") for t in _TOKEN.findall(query)]
    kept = [t for t in found if _IDENTIFIER.search(t) or _NUMBER.fullmatch(t)]
    return list(dict.fromkeys(kept))[:MAX_QUERY_TERMS]


def missing_from(ids: Sequence[str], documents: Iterable[str]) -> list[str]:
    """The identifiers that none of `documents` holds (case-insensitive substring)."""
    texts = [d.lower() for d in documents]
    return [i for i in ids if not any(i.lower() in t for t in texts)]


def text_tokens(text: str) -> set[str]:
    """The lower-cased words of a text, as `query_terms` splits them."""
    return {t.lower().strip(".:=/-") for t in _TOKEN.findall(text)}


def runbook_where(filters: RunbookFilters | None) -> Where | None:
    """The Chroma `where` clause of the hard filters (None: no filter)."""
    if filters is None:
        return None
    clauses: list[Where] = []
    if filters.cloud:
        clauses.append({"cloud": filters.cloud})
    if filters.kind:
        clauses.append({"kinds": {"$contains": filters.kind}})
    if filters.alert:
        clauses.append({"alerts": {"$contains": filters.alert}})
    if filters.category:
        clauses.append({"categories": {"$contains": filters.category}})
    return _all_of(clauses)


def passes(filters: RunbookFilters | None, metadata: Metadata) -> bool:
    """Whether a chunk's metadata passes the hard filters (as `runbook_where` would)."""
    if filters is None:
        return True
    return (
        (filters.cloud is None or metadata.get("cloud") == filters.cloud)
        and (filters.kind is None or filters.kind in strings(metadata, "kinds"))
        and (filters.alert is None or filters.alert in strings(metadata, "alerts"))
        and (filters.category is None or filters.category in strings(metadata, "categories"))
    )


def keyword_where(filters: RunbookFilters | None, keys: Sequence[str]) -> Where | None:
    """Chunks passing the filters whose runbook's keys include one of `keys`."""
    if not keys:
        return None
    mentions = [{"keys": {"$contains": t}} for t in keys]
    any_term: Where = mentions[0] if len(mentions) == 1 else {"$or": mentions}
    base = runbook_where(filters)
    return _all_of([base, any_term] if base else [any_term])


def text_where(ids: Sequence[str]) -> dict[str, Any] | None:
    """Chroma's `where_document`: the chunk's text holds one of `ids` (as written)."""
    if not ids:
        return None
    contains: list[dict[str, Any]] = [{"$contains": i} for i in ids]
    return contains[0] if len(contains) == 1 else {"$or": contains}


def incident_where(filters: IncidentFilters | None) -> Where | None:
    """The Chroma `where` clause of an incident search's filters."""
    if filters is None:
        return None
    clauses: list[Where] = []
    if filters.cloud:
        clauses.append({"clouds": {"$contains": filters.cloud}})
    if filters.category:
        clauses.append({"category": filters.category})
    if filters.resource:
        clauses.append({"resources": {"$contains": filters.resource.key}})
    return _all_of(clauses)


def _all_of(clauses: list[Where]) -> Where | None:
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def keyword_boost(
    terms: Iterable[str], metadata: Metadata, *, ids: Sequence[str] = (), document: str = ""
) -> tuple[float, tuple[str, ...]]:
    """The boost of a chunk for a query's terms and identifiers, and what matched.

    Matches read `alert:KubePodCrashLooping`, `kind:Pod`, `tag:memory`,
    `label:severity=critical`, `text:OOMKilled`.
    """
    wanted = set(terms)
    matched: list[str] = []
    boost = 0.0
    for key, label, weight in (
        ("alerts", "alert", ALERT_BOOST),
        ("kinds", "kind", KIND_BOOST),
        ("tags", "tag", TAG_BOOST),
        ("labels", "label", LABEL_BOOST),
    ):
        hits = [v for v in strings(metadata, key) if v.lower() in wanted]
        if hits:
            boost += weight
            matched += [f"{label}:{v}" for v in hits]
    if ids:
        words = text_tokens(document)
        in_text = [i for i in ids if i.lower() in words]
        boost += IDENTIFIER_BOOST * min(len(in_text), 2)
        matched += [f"text:{i}" for i in in_text]
    return min(boost, MAX_BOOST), tuple(matched)


@dataclass(frozen=True)
class Candidate:
    """A chunk one of the two lookups returned, with its cosine similarity to the query."""

    id: str
    document: str
    metadata: Metadata
    similarity: float


def rank(
    candidates: Iterable[Candidate],
    terms: Sequence[str],
    *,
    ids: Sequence[str] = (),
    k: int,
    threshold: float,
) -> tuple[list[RunbookHit], RunbookHit | None]:
    """The `k` best hits at or above `threshold`, and the best candidate overall.

    One hit per section of a runbook, with its best score: a section found by two
    lookups, a long section's parts, or two versions of a section while a new version
    replaces the old.
    """
    wanted = set(terms)
    best: dict[tuple[str, str], tuple[float, Candidate, float, tuple[str, ...]]] = {}
    for candidate in candidates:
        meta = candidate.metadata
        boost, matched = keyword_boost(wanted, meta, ids=ids, document=candidate.document)
        score = candidate.similarity + boost
        key = (str(meta.get("runbook_id", "")), str(meta.get("section", "")))
        if key not in best or best[key][0] < score:
            best[key] = (score, candidate, boost, matched)
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    hits = [_hit(*entry) for _, entry in ordered[:k] if entry[0] >= threshold]
    top = hits[0] if hits else (_hit(*ordered[0][1]) if ordered else None)
    return hits, top


def _hit(score: float, candidate: Candidate, boost: float, matched: tuple[str, ...]) -> RunbookHit:
    meta = candidate.metadata
    return RunbookHit(
        runbook_id=str(meta.get("runbook_id", "")),
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        text=candidate.document,
        source=str(meta.get("source", "")),
        version=str(meta.get("version", "")),
        score=round(score, 4),
        similarity=round(candidate.similarity, 4),
        boost=round(boost, 4),
        matched=matched,
    )
