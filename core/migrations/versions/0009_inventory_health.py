"""inventory objects: `health` (ok, warn, bad) judged from the status when a sync stores it.

The rows already there are judged here, with the rules of `inventory/health.py` as they were
at this revision (a migration does not import the application: it must keep meaning what it
meant when it was written).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FAILING = (
    "NotReady CrashLoopBackOff ImagePullBackOff ErrImagePull OOMKilled Error Failed Evicted "
    "CreateContainerConfigError Terminating"
).split()
_WAITING = "Pending SchedulingDisabled ContainerCreating Unknown".split()


def _judged(status: str) -> str:
    if status.endswith(" ready"):
        ready, _, desired = status.removesuffix(" ready").partition("/")
        if ready.isdigit() and desired.isdigit():
            if int(desired) and int(ready) == 0:
                return "bad"
            return "ok" if int(ready) >= int(desired) else "warn"
    if any(word in status for word in _FAILING):
        return "bad"
    return "warn" if any(word in status for word in _WAITING) else "ok"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("inventory_objects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("health", sa.String(length=8), server_default="ok", nullable=False)
        )
        batch_op.create_index(
            "ix_inventory_objects_cluster_health", ["cluster", "health"], unique=False
        )
    objects = sa.table(
        "inventory_objects", sa.column("id", sa.Integer), sa.column("status"), sa.column("health")
    )
    bind = op.get_bind()
    for statuses in bind.execute(sa.select(objects.c.status).distinct()).scalars().partitions(500):
        for status in statuses:
            judged = _judged(status)
            if judged != "ok":
                bind.execute(
                    objects.update().where(objects.c.status == status).values(health=judged)
                )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("inventory_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_objects_cluster_health")
        batch_op.drop_column("health")
