"""Response models of the inventory API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Out(BaseModel):
    """Read from table rows."""

    model_config = ConfigDict(from_attributes=True)


class ClusterOut(Out):
    """A Kubernetes cluster of the inventory and how its last sync went."""

    name: str
    first_seen: datetime
    last_attempt_at: datetime | None
    last_synced_at: datetime | None
    """The last successful sync: what the objects show is as of then."""
    last_error: str | None
    """Why the last attempt failed; None once a sync succeeds."""
    counts: dict[str, int]
    """Objects present at the last successful sync, per kind."""


class InventoryObjectOut(Out):
    """One Kubernetes object as the inventory last saw it."""

    id: int
    cluster: str
    kind: str
    namespace: str | None
    """None for cluster-scoped kinds (Node, Namespace)."""
    name: str
    uid: str | None
    labels: dict[str, str]
    status: str
    health: str
    """`ok`, `warn` or `bad`, judged from the status (docs/inventory.md)."""
    node: str | None
    owner: str | None
    """`Kind/name` of the controller that owns it."""
    summary: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    gone_at: datetime | None
    """When a sync first missed it; None while it exists."""

    @field_validator("namespace", mode="before")
    @classmethod
    def _cluster_scoped(cls, value: str | None) -> str | None:
        return value or None


class InventoryObjectPage(BaseModel):
    """A page of objects; pass `next_cursor` as `cursor` for the next one."""

    items: list[InventoryObjectOut]
    next_cursor: str | None
