"""Events that repeat: the kubelet's back-offs and pulls, the scheduler's failed attempts.

Kubernetes aggregates a repeated event into one object whose `count` rises; the lab's
processes know how many times something happened by a given instant, so they set the count
to that number instead of recording each occurrence.
"""

from __future__ import annotations

from typing import Literal

from lab.kube.store import JsonObject, KubeStore, ObjectNotFound


def count_event(
    store: KubeStore,
    involved: JsonObject,
    reason: str,
    message: str,
    type_: Literal["Normal", "Warning"],
    count: int,
    component: str = "kubelet",
) -> None:
    """Make the object's event of `reason` read `count` occurrences (recording it if new)."""
    meta = involved["metadata"]
    try:
        current = store.get("events", f"{meta['name']}.{reason.lower()}", meta["namespace"])
    except ObjectNotFound:
        current = None
    if current is not None and current["count"] == count:
        return
    event = store.record_event(
        involved, reason=reason, message=message, type_=type_, component=component
    )
    if event["count"] != count:
        event["count"] = count
        store.replace("events", event)
