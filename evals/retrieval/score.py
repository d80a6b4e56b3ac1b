"""Score runbook retrieval on the labelled set (`memory/runbooks/retrieval_set.yaml`).

Each query is searched with its filters; the runbooks of the hits, in order and each once,
are the ranking. recall@k: the expected runbook is among the first k; MRR: the mean of
1 / its rank (0 when absent, or when the search answered no good match).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from memory.models import RunbookFilters
from memory.port import MemoryStore

RETRIEVAL_SET = Path(__file__).resolve().parents[2] / "memory" / "runbooks" / "retrieval_set.yaml"


@dataclass(frozen=True)
class Scores:
    """The figures of one scoring run, and the queries that missed the top 3."""

    queries: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    misses: list[tuple[str, str, list[str]]]
    """`(query id, expected, ranking)` of each query whose expected runbook is not in the top 3."""


def load_set(path: Path = RETRIEVAL_SET) -> list[dict[str, Any]]:
    """The labelled queries."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: a list of queries is expected")
    return data


async def score(store: MemoryStore, queries: list[dict[str, Any]], *, k: int = 10) -> Scores:
    """Search every query and score the rankings."""
    first = third = reciprocal = 0.0
    misses = []
    for item in queries:
        filters = RunbookFilters.model_validate(item.get("filters") or {})
        found = await store.search_runbooks(item["query"], filters=filters, k=k)
        ranking = list(dict.fromkeys(hit.runbook_id for hit in found.hits))
        expected = item["expected"]
        if expected in ranking:
            rank = ranking.index(expected) + 1
            reciprocal += 1 / rank
            first += rank == 1
            third += rank <= 3
        if expected not in ranking[:3]:
            misses.append((item["id"], expected, ranking[:3]))
    n = len(queries)
    return Scores(n, first / n, third / n, reciprocal / n, misses)
