"""Runbook retrieval on the labelled set must not fall below its recorded baseline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from core.clock import ManualClock
from core.settings import MemorySettings
from evals.retrieval.score import load_set, score
from lab.world.world import LAB_EPOCH
from memory.chroma import build_memory_store
from memory.ingest import ingest_folder
from memory.runbooks import LIBRARY

BASELINE = Path(__file__).resolve().parents[2] / "memory" / "runbooks" / "retrieval_baseline.json"
TARGET_RECALL_AT_3 = 0.9
"""The issue's target."""


def test_recall_at_3_meets_the_target_and_the_recorded_baseline(tmp_path: Path) -> None:
    store = build_memory_store(
        MemorySettings(), path=tmp_path / "chroma", clock=ManualClock(LAB_EPOCH)
    )
    asyncio.run(ingest_folder(store, LIBRARY))
    queries = load_set()
    scores = asyncio.run(score(store, queries))
    baseline = json.loads(BASELINE.read_text())
    print(  # the figures, for the log
        f"retrieval: {scores.queries} queries, recall@1 {scores.recall_at_1:.3f}, "
        f"recall@3 {scores.recall_at_3:.3f}, MRR {scores.mrr:.3f}; misses {scores.misses}"
    )
    assert scores.queries >= 60
    assert scores.recall_at_3 >= TARGET_RECALL_AT_3, scores.misses
    assert scores.recall_at_3 >= baseline["recall_at_3"] - 1e-9, scores.misses
    assert scores.mrr >= baseline["mrr"] - 0.02, (scores.mrr, baseline)
