"""The kubelet's crash-loop schedule, as a pure function of the time since the first start.

A container that dies after running `runs_for` is restarted after a back-off of 10 s, 20 s,
40 s... capped at 5 minutes. Both a fault's metric overlays (the restart counter, a working
set that fills its limit on every run) and the pod status it writes read this one schedule,
so the counter, the status and the events always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

FIRST_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(minutes=5)


@dataclass(frozen=True)
class LoopState:
    """Where a crash-looping container stands."""

    restarts: int
    """Restarts so far (the pod's restartCount, added to what it had)."""
    running: bool
    """True while a run lasts; False while the kubelet waits out a back-off."""
    since: timedelta
    """When the current run started, or when the last run died (while waiting)."""
    backoff: timedelta
    """The back-off that follows the current run, or that is being waited out."""
    last_started: timedelta | None
    """Start of the last run that died (None before the first death)."""
    last_died: timedelta | None
    """When the last run died (None before the first death)."""


def crashloop_state(elapsed: timedelta, runs_for: timedelta) -> LoopState:
    """The state `elapsed` after the container's first start."""
    start, backoff, restarts = timedelta(0), FIRST_BACKOFF, 0
    last_started: timedelta | None = None
    last_died: timedelta | None = None
    while True:
        died = start + runs_for
        if elapsed < died:
            return LoopState(restarts, True, start, backoff, last_started, last_died)
        if elapsed < died + backoff:
            return LoopState(restarts, False, died, backoff, start, died)
        last_started, last_died = start, died
        start, restarts = died + backoff, restarts + 1
        backoff = min(backoff * 2, MAX_BACKOFF)
