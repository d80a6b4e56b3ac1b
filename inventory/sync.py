"""Syncing one Kubernetes cluster into the inventory.

A sync reads everything first (namespaces, nodes, the four workload kinds, pods), then writes it in
one transaction: new objects are inserted, known ones updated (`last_seen`, status, labels; a
`gone_at` is cleared), and the objects the sync did not see are marked gone. The cluster's row is
locked for the write, so two syncs of one cluster never interleave. When the cluster cannot be
read, only the cluster's `last_error` changes: the previous inventory stays as it was.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from connectors.kubernetes.models import WorkloadKind
from connectors.kubernetes.port import KubernetesPort
from core.clock import Clock
from core.db.bulk import column_values, insert_skipping_conflicts
from core.db.engine import SessionFactory
from core.errors import NotFound, PixelViewError
from core.logs import get_logger
from inventory import observe
from inventory.health import health_of
from inventory.models import InventoryCluster, InventoryObject
from inventory.observe import Observed

log = get_logger(__name__)

WORKLOAD_KINDS: tuple[WorkloadKind, ...] = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass(frozen=True, kw_only=True)
class SyncResult:
    """How one sync of one cluster went."""

    cluster: str
    error: str | None = None
    """The port's message when the cluster could not be read (nothing else changed)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Objects present, per kind (empty after an error)."""
    appeared: int = 0
    """Objects new to the inventory, or back after being gone."""
    gone: int = 0
    """Objects this sync marked gone."""

    @property
    def ok(self) -> bool:
        """The cluster was read and stored."""
        return self.error is None


async def read_cluster(port: KubernetesPort) -> list[Observed]:
    """Everything the inventory keeps of one cluster, read through its port.

    Raises:
        PixelViewError: the port's error (`Unavailable`, `Forbidden`...) for the first read that
            failed.
    """
    namespaces, nodes, pods = await asyncio.gather(
        port.list_namespaces(), port.list_nodes(), port.list_pods(namespace=None)
    )
    workloads = await asyncio.gather(
        *(port.list_workloads(kind=kind, namespace=None) for kind in WORKLOAD_KINDS)
    )
    observed = [observe.namespace(ns) for ns in namespaces]
    observed += [observe.node(n) for n in nodes]
    observed += [observe.workload(w) for of_kind in workloads for w in of_kind]
    observed += [observe.pod(p) for p in pods]
    return observed


def _lock_cluster(session: Session, name: str, now: datetime) -> InventoryCluster:
    """The cluster's row, created on first use, locked until the transaction ends."""
    new = InventoryCluster(name=name, first_seen=now)
    insert_skipping_conflicts(session, InventoryCluster, [column_values(new)])
    return session.scalars(
        select(InventoryCluster)
        .where(col(InventoryCluster.name) == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def record_failure(session: Session, cluster: str, error: str, now: datetime) -> None:
    """Note that `cluster` could not be read; its inventory is left as it was."""
    row = _lock_cluster(session, cluster, now)
    row.last_attempt_at = now
    row.last_error = error


def store_snapshot(
    session: Session, cluster: str, observed: Sequence[Observed], now: datetime
) -> SyncResult:
    """Write what one sync saw, inside the caller's transaction (the caller commits)."""
    row = _lock_cluster(session, cluster, now)
    row.generation += 1
    generation = row.generation
    by_key = {o.key: o for o in observed}
    known: dict[tuple[str, str, str], tuple[int, bool]] = {
        (kind, namespace, name): (row_id, gone_at is not None)
        for row_id, kind, namespace, name, gone_at in session.execute(
            select(
                col(InventoryObject.id),
                col(InventoryObject.kind),
                col(InventoryObject.namespace),
                col(InventoryObject.name),
                col(InventoryObject.gone_at),
            ).where(col(InventoryObject.cluster) == cluster)
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    appeared = 0
    for key, o in by_key.items():
        values = {
            "uid": o.uid,
            "labels": o.labels,
            "status": o.status,
            "health": health_of(o.status).value,
            "node": o.node,
            "owner": o.owner,
            "summary": o.summary,
            "last_seen": now,
            "gone_at": None,
            "seen_generation": generation,
        }
        if key in known:
            row_id, was_gone = known[key]
            updates.append({"id": row_id, **values})
            appeared += was_gone
        else:
            identity = {"cluster": cluster, "kind": o.kind.value, "namespace": o.namespace}
            inserts.append(identity | {"name": o.name, "first_seen": now, **values})
            appeared += 1
    if inserts:
        session.execute(insert(InventoryObject), inserts)
    if updates:
        session.execute(update(InventoryObject), updates)  # ORM bulk UPDATE by primary key
    gone = session.execute(
        update(InventoryObject)
        .where(
            col(InventoryObject.cluster) == cluster,
            col(InventoryObject.seen_generation) < generation,
            col(InventoryObject.gone_at).is_(None),
        )
        .values(gone_at=now)
        .execution_options(synchronize_session=False)
    )
    counts = dict(sorted(Counter(o.kind.value for o in by_key.values()).items()))
    row.last_attempt_at = now
    row.last_synced_at = now
    row.last_error = None
    row.counts = counts
    return SyncResult(
        cluster=cluster,
        counts=counts,
        appeared=appeared,
        gone=int(gone.rowcount),  # type: ignore[attr-defined]
    )


class InventorySync:
    """Syncs the clusters it has ports for; shared by the worker's threads."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, ports: Mapping[str, KubernetesPort]
    ) -> None:
        """Write through `sessions`, with time from `clock`, reading `ports` by cluster name."""
        self._sessions, self._clock, self._ports = sessions, clock, ports

    @property
    def clusters(self) -> list[str]:
        """The clusters it can sync, by name."""
        return sorted(self._ports)

    async def sync(self, cluster: str) -> SyncResult:
        """Read `cluster` and store it; a port error is recorded on the cluster, not raised.

        Raises:
            NotFound: no port is configured for `cluster`.
        """
        port = self._ports.get(cluster)
        if port is None:
            raise NotFound(f"no Kubernetes cluster named {cluster!r} is configured")
        try:
            observed = await read_cluster(port)
        except PixelViewError as e:
            with self._sessions() as session:
                record_failure(session, cluster, e.message, self._clock.now())
                session.commit()
            log.warning("inventory.sync_failed", cluster=cluster, error=e.message)
            return SyncResult(cluster=cluster, error=e.message)
        with self._sessions() as session:
            result = store_snapshot(session, cluster, observed, self._clock.now())
            session.commit()
        log.info(
            "inventory.synced",
            cluster=cluster,
            objects=sum(result.counts.values()),
            appeared=result.appeared,
            gone=result.gone,
        )
        return result
