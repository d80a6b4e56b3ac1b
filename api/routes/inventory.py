"""The inventory: Kubernetes clusters and the objects synced from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, Sessions, label_filters
from api.schemas.inventory import ClusterOut, InventoryObjectOut, InventoryObjectPage
from inventory import queries
from inventory.health import Health
from inventory.models import ObjectKind

router = APIRouter(prefix="/api/v1/inventory/kubernetes", tags=["inventory"])


@router.get("/clusters", response_model=list[ClusterOut])
def list_clusters(sessions: Sessions, caller: CurrentCaller) -> list[ClusterOut]:
    """Every cluster the inventory syncs, with its last sync, last error and counts per kind."""
    del caller
    with sessions() as session:
        return [ClusterOut.model_validate(c) for c in queries.list_clusters(session)]


@router.get("/objects", response_model=InventoryObjectPage)
def list_objects(
    sessions: Sessions,
    caller: CurrentCaller,
    cluster: str | None = None,
    kind: Annotated[list[ObjectKind], Query(description="Any of these kinds.")] = [],  # noqa: B006 - FastAPI copies defaults
    namespace: str | None = None,
    label: Annotated[list[str], Query(description="`key=value`, repeatable; all must match.")] = [],  # noqa: B006
    status: Annotated[
        list[str],
        Query(description="Any of these; `NotReady` also matches `NotReady,SchedulingDisabled`."),
    ] = [],  # noqa: B006
    health: Annotated[
        list[Health],
        Query(description="Any of these: `ok`, `warn` (pending, partly ready), `bad` (failing)."),
    ] = [],  # noqa: B006
    node: Annotated[str | None, Query(description="Pods on this node.")] = None,
    name: Annotated[
        str | None, Query(max_length=253, description="A substring of the name (any case).")
    ] = None,
    include_gone: Annotated[bool, Query(description="Also objects no longer there.")] = False,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
) -> InventoryObjectPage:
    """Objects matching every given filter, by cluster, kind, namespace and name."""
    del caller
    f = queries.ObjectFilter(
        cluster=cluster,
        kind=kind,
        namespace=namespace,
        labels=label_filters(label),
        status=status,
        health=health,
        node=node,
        name=name,
        include_gone=include_gone,
    )
    with sessions() as session:
        page = queries.list_objects(session, f, cursor=cursor, limit=limit)
        return InventoryObjectPage(
            items=[InventoryObjectOut.model_validate(o) for o in page.items],
            next_cursor=page.next_cursor,
        )
