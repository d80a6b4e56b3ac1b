"""How an inventory object looks at a glance, from its short status: `ok`, `warn` or `bad`.

Computed when a sync stores the object, so that "unhealthy only" is a query on a column (every
page of a large cluster holds what it says), and the web panel and the API agree.
"""

from __future__ import annotations

from enum import StrEnum


class Health(StrEnum):
    """An object's health as the inventory judges it from its status."""

    OK = "ok"
    WARN = "warn"
    """Not serving as desired yet: pending, creating, some replicas not ready, cordoned."""
    BAD = "bad"
    """Failing: crash looping, not pulling its image, NotReady, no replica ready."""


BAD = (
    "NotReady",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "OOMKilled",
    "Error",
    "Failed",
    "Evicted",
    "CreateContainerConfigError",
    "Terminating",
)
"""Words of a status that make it `bad` (a node's `NotReady,SchedulingDisabled` included)."""
WARN = ("Pending", "SchedulingDisabled", "ContainerCreating", "Unknown")
"""Words of a status that make it `warn`, unless a `bad` word is there too."""


def health_of(status: str) -> Health:
    """The health of a status: `2/3 ready` warns, `0/3 ready` is bad, `CrashLoopBackOff` too."""
    if status.endswith(" ready"):
        ready, _, desired = status.removesuffix(" ready").partition("/")
        if ready.isdigit() and desired.isdigit():
            if int(desired) and int(ready) == 0:
                return Health.BAD
            return Health.OK if int(ready) >= int(desired) else Health.WARN
    if any(word in status for word in BAD):
        return Health.BAD
    if any(word in status for word in WARN):
        return Health.WARN
    return Health.OK
