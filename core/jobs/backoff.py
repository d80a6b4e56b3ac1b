"""Retry delays for failed jobs."""

from __future__ import annotations

from datetime import timedelta


def retry_delay(attempt: int, *, base_s: float, max_s: float, jitter: float) -> timedelta:
    """Delay before retry number `attempt` (1-based): exponential, capped, jittered.

    `jitter` in [0, 1) scales the delay between half and all of its value, so
    jobs that failed together do not retry together.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    ceiling = min(max_s, base_s * 2.0 ** (attempt - 1))
    return timedelta(seconds=ceiling * (0.5 + jitter / 2.0))
