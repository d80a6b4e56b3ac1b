"""The periodic sync: a poller enqueues one job per cluster and interval, the handler runs it.

Time is cut into slots of `interval_s` seconds since the epoch. Each worker's poller enqueues
`inventory.kubernetes.sync` for every cluster with the dedup key `<cluster>@<slot>`, so however
many workers poll in one slot, one job per cluster runs. A poller touches the database once per
slot (it remembers the last slot it enqueued), not on every turn of the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import NotFound
from core.jobs.models import ClaimedJob
from core.jobs.queue import enqueue
from core.jobs.worker import PermanentJobError
from inventory.sync import InventorySync

SYNC_JOB = "inventory.kubernetes.sync"


def slot_of(now: datetime, interval_s: int) -> int:
    """The interval slot `now` falls in (slots start at the epoch)."""
    return int(now.timestamp() // interval_s)


def dedup_key(cluster: str, slot: int) -> str:
    """The sync job's dedup key for `cluster` in `slot`."""
    return f"{cluster}@{slot}"


class SyncPoller:
    """A worker poller that enqueues each cluster's sync once per slot."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, clusters: Sequence[str], *, interval_s: int
    ) -> None:
        """Enqueue through `sessions` for `clusters`, one job per `interval_s` seconds each."""
        if interval_s < 1:
            raise ValueError("the inventory interval is at least one second")
        self._sessions, self._clock = sessions, clock
        self._clusters = tuple(clusters)
        self._interval_s = interval_s
        self._last_slot: int | None = None
        self._lock = threading.Lock()

    def tick(self) -> int:
        """Enqueue this slot's syncs unless this poller already did; return how many it asked."""
        now = self._clock.now()
        slot = slot_of(now, self._interval_s)
        with self._lock:  # the worker's threads share one poller
            if slot == self._last_slot or not self._clusters:
                return 0
            with self._sessions() as session:
                for cluster in self._clusters:
                    enqueue(
                        session,
                        kind=SYNC_JOB,
                        now=now,
                        payload={"cluster": cluster, "slot": slot},
                        dedup_key=dedup_key(cluster, slot),
                        max_attempts=1,  # the next slot is the retry
                    )
                session.commit()
            self._last_slot = slot
        return len(self._clusters)


class SyncHandler:
    """Runs `inventory.kubernetes.sync` jobs."""

    def __init__(self, inventory: InventorySync) -> None:
        """Sync through `inventory`."""
        self._inventory = inventory

    async def __call__(self, job: ClaimedJob) -> None:
        """Sync the job's cluster; an unreadable cluster is recorded on it, not retried.

        Raises:
            PermanentJobError: the payload names no cluster, or one without a port.
        """
        cluster = job.payload.get("cluster")
        if not isinstance(cluster, str):
            raise PermanentJobError(f"{SYNC_JOB} job {job.id} has no cluster in its payload")
        try:
            await self._inventory.sync(cluster)
        except NotFound as e:
            raise PermanentJobError(e.message) from e
