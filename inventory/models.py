"""Inventory tables: one row per Kubernetes cluster, one per object seen in it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.columns import AutoIncrementId
from core.db.types import JSONType, UTCDateTime


class ObjectKind(StrEnum):
    """The Kubernetes kinds the inventory keeps."""

    NODE = "Node"
    NAMESPACE = "Namespace"
    DEPLOYMENT = "Deployment"
    STATEFULSET = "StatefulSet"
    DAEMONSET = "DaemonSet"
    REPLICASET = "ReplicaSet"
    POD = "Pod"


class InventoryCluster(SQLModel, table=True):
    """A Kubernetes cluster the inventory syncs, and how its last sync went."""

    __tablename__ = "inventory_clusters"

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    """The name PixelView gives the cluster (the key of the container's port mapping)."""
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    """When a sync first tried this cluster."""
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    """When a sync last tried, successful or not."""
    last_synced_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    """When a sync last read the whole cluster and stored it."""
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Why the last attempt could not read the cluster; None once a sync succeeds."""
    generation: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """Successful syncs so far; objects not seen in the latest one are gone."""
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    """Objects present at the last successful sync, per kind."""


class InventoryObject(SQLModel, table=True):
    """One Kubernetes object as the syncs saw it; kept after it disappears (`gone_at`)."""

    __tablename__ = "inventory_objects"
    __table_args__ = (
        UniqueConstraint(
            "cluster", "kind", "namespace", "name", name="uq_inventory_objects_identity"
        ),
        Index("ix_inventory_objects_cluster_generation", "cluster", "seen_generation"),
        Index("ix_inventory_objects_status", "status"),
        Index("ix_inventory_objects_cluster_health", "cluster", "health"),
    )

    id: int | None = Field(default=None, sa_column=Column(AutoIncrementId, primary_key=True))
    cluster: str = Field(
        sa_column=Column(
            String(200),
            ForeignKey("inventory_clusters.name", ondelete="CASCADE"),
            nullable=False,
        )
    )
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    """One of `ObjectKind`."""
    namespace: str = Field(default="", sa_column=Column(String(253), nullable=False))
    """Empty for cluster-scoped kinds (Node, Namespace), so the identity stays unique."""
    name: str = Field(sa_column=Column(String(253), nullable=False))
    uid: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    """`metadata.uid` at the last sight: a new uid under the same name is a recreated object."""
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    status: str = Field(sa_column=Column(String(100), nullable=False))
    """A short status a person reads: `Ready`, `CrashLoopBackOff`, `2/3 ready`..."""
    health: str = Field(
        default="ok", sa_column=Column(String(8), nullable=False, server_default="ok")
    )
    """`ok`, `warn` or `bad`, judged from the status when stored (`inventory/health.py`)."""
    node: str | None = Field(default=None, sa_column=Column(String(253), nullable=True))
    """The node a pod runs on."""
    owner: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    """The controlling owner as `Kind/name` (a pod's ReplicaSet, a ReplicaSet's Deployment)."""
    summary: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    """The port's DTO as JSON (without labels, which have their own column)."""
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    gone_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    """The first sync that no longer saw it; cleared when it comes back."""
    seen_generation: int = Field(sa_column=Column(Integer, nullable=False))
    """The cluster's `generation` at the last sync that saw it."""
