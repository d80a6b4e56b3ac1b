"""How tools show things to a model: compact views, and short text for times, sizes, numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    """Base of the data tools return: frozen, declared fields only, None fields left out."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def stamp(at: datetime | None) -> str | None:
    """An instant as `2026-11-16T09:57:10Z` (UTC, to the second)."""
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(span: timedelta) -> str:
    """A span as its largest unit: `45s`, `12m`, `5h`, `3d`."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def age(since: datetime | None, now: datetime) -> str | None:
    """How long ago `since` was (`30m`), or None when unknown."""
    return None if since is None else duration(now - since)


def when(at: datetime | None, now: datetime) -> str | None:
    """An instant and how long ago it was: `2026-11-16T09:57:10Z (3m ago)`."""
    return None if at is None else f"{stamp(at)} ({duration(now - at)} ago)"


def size(value: float) -> str:
    """Bytes in binary units: `256Mi`, `1.5Gi`."""
    for unit, scale in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if abs(value) >= scale:
            return f"{value / scale:.4g}{unit}"
    return f"{value:.0f}B"


def number(value: float) -> float:
    """A measurement rounded to 4 significant digits (what a model needs, in fewer tokens)."""
    return float(f"{value:.4g}")
