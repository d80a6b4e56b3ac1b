"""The panel's pages: overview, alerts, incident, on-call, inventory, chat, runbooks.

Each page is rendered on the server from the same reads the JSON API makes (`views.py`). What
a page changes, it changes from the browser through the JSON API (`static/app.js`), so the
roles, the validation and the audit log are the API's. Regions marked `data-live` are
re-rendered when the live feed says something changed (the page asks for itself again).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import Now, Sessions, label_filters
from api.web import views
from api.web.auth import PageCaller
from api.web.render import render
from core.errors import Forbidden, InvalidRequest
from incidents import chat, queries
from incidents.models.people import Role
from inventory import queries as inventory_queries
from inventory.models import ObjectKind
from memory.ingest import is_uploaded
from memory.port import MemoryStore
from memory.runbooks import parse_runbook

router = APIRouter(include_in_schema=False)
Many = Annotated[list[str], Query()]


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request, sessions: Sessions, clock: Now, caller: PageCaller
) -> HTMLResponse:
    """Open incidents by severity, alert volume, who is on call, recent triage results."""
    with sessions() as session:
        page = views.overview(session, clock.now())
    return render(request, "overview.html", caller, active="overview", view=page)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    sessions: Sessions,
    caller: PageCaller,
    status: Many = [],  # noqa: B006 - FastAPI copies defaults
    severity: Many = [],  # noqa: B006
    source: Many = [],  # noqa: B006
    label: Many = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=200)] = None,
    incident_id: int | None = None,
    group: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    """Alerts, newest first: filtered, searched, grouped, updated live."""
    f = queries.AlertFilter(
        status=[s for s in status if s],
        severity=[s for s in severity if s],
        source=[s for s in source if s],
        labels=label_filters([pair for pair in label if pair]),
        q=q or None,
        incident_id=incident_id,
    )
    group = group if group in views.ALERT_GROUPS else ""
    with sessions() as session:
        page = views.alerts(session, f, group=group, cursor=cursor)
    return render(
        request,
        "alerts.html",
        caller,
        active="alerts",
        view=page,
        groups=views.ALERT_GROUPS,
        severities=views.SEVERITIES,
        label_pairs=[pair for pair in label if pair],
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(
    incident_id: int, request: Request, sessions: Sessions, caller: PageCaller
) -> HTMLResponse:
    """An incident: its triage report, charts, alerts, timeline, and what can be done."""
    with sessions() as session:
        page = views.incident(session, incident_id)
    return render(
        request,
        "incident.html",
        caller,
        active="alerts",
        view=page,
        can_act=caller.user.role in (Role.RESPONDER, Role.ADMIN),
    )


@router.get("/oncall", response_class=HTMLResponse)
def on_call_page(
    request: Request,
    sessions: Sessions,
    clock: Now,
    caller: PageCaller,
    days: Annotated[int, Query(ge=1, le=28)] = 7,
) -> HTMLResponse:
    """Who is on call now, and every schedule's timeline over the next days."""
    with sessions() as session:
        page = views.on_call(session, clock.now(), days=days)
    return render(request, "oncall.html", caller, active="oncall", view=page)


@router.get("/inventory", response_class=HTMLResponse)
def inventory_page(
    request: Request,
    sessions: Sessions,
    caller: PageCaller,
    cluster: str | None = None,
    kind: Many = [],  # noqa: B006
    namespace: str | None = None,
    name: Annotated[str | None, Query(max_length=253)] = None,
    node: str | None = None,
    label: Many = [],  # noqa: B006
    unhealthy: bool = False,
    cursor: str | None = None,
) -> HTMLResponse:
    """Clusters and their objects, with their health; links to their alerts."""
    known = {k.value: k for k in ObjectKind}
    if unknown := [k for k in kind if k and k not in known]:
        raise InvalidRequest(f"kind: {', '.join(unknown)} is not one of {', '.join(known)}")
    f = inventory_queries.ObjectFilter(
        cluster=cluster or None,
        kind=[known[k] for k in kind if k],
        namespace=namespace or None,
        name=name or None,
        node=node or None,
        labels=label_filters([pair for pair in label if pair]),
    )
    with sessions() as session:
        page = views.inventory(session, f, unhealthy_only=unhealthy, cursor=cursor)
    return render(
        request, "inventory.html", caller, active="inventory", view=page, health=views.health
    )


@router.get("/chat", response_class=HTMLResponse)
@router.get("/chat/{thread_id}", response_class=HTMLResponse)
def chat_page(
    request: Request, sessions: Sessions, caller: PageCaller, thread_id: int | None = None
) -> HTMLResponse:
    """The caller's conversations, and one of them: asked and answered step by step.

    The page lists the threads; the browser reads the thread (`GET /api/v1/chat/threads/{id}`)
    and streams each answer (`POST .../messages`, Server-Sent Events) through the chat API.
    """
    with sessions() as session:
        threads = chat.list_threads(session, owner=caller.actor, limit=100)
        current = chat.get_thread(session, thread_id) if thread_id is not None else None
    if current is not None and not chat.readable_by(
        current, caller.actor, admin=caller.user.role == Role.ADMIN
    ):
        raise Forbidden(f"chat thread {thread_id} belongs to someone else")
    return render(
        request,
        "chat.html",
        caller,
        active="chat",
        threads=threads,
        current=current,
        can_ask=current is None or current.owner == caller.actor,
        available=request.app.state.chat is not None,
    )


def _memory(request: Request) -> MemoryStore | None:
    store: MemoryStore | None = request.app.state.memory
    return store


@router.get("/runbooks", response_class=HTMLResponse)
async def runbooks_page(
    request: Request,
    caller: PageCaller,
    q: Annotated[str | None, Query(max_length=4000)] = None,
) -> HTMLResponse:
    """Every stored runbook, a search over their sections, and an upload form."""
    store = _memory(request)
    runbooks: list[views.RunbookRow] = []
    search = None
    if store is not None:
        runbooks = [
            views.RunbookRow(info=info, origin="upload" if is_uploaded(info) else "folder")
            for info in await store.list_runbooks()
        ]
        if q and q.strip():
            search = await store.search_runbooks(q.strip(), k=10)
    return render(
        request,
        "runbooks.html",
        caller,
        active="runbooks",
        available=store is not None,
        runbooks=runbooks,
        q=q or "",
        search=search,
        can_edit=caller.user.role in (Role.RESPONDER, Role.ADMIN),
    )


@router.get("/runbooks/{runbook_id}", response_class=HTMLResponse)
async def runbook_page(runbook_id: str, request: Request, caller: PageCaller) -> HTMLResponse:
    """One runbook: what it applies to, its sections (anchored by their slug), its markdown."""
    store = _memory(request)
    if store is None:
        return render(
            request,
            "runbooks.html",
            caller,
            active="runbooks",
            available=False,
            runbooks=[],
            q="",
            search=None,
            can_edit=False,
        )
    stored = await store.get_runbook(runbook_id)
    parsed = parse_runbook(stored.markdown, runbook_id=stored.id, source=stored.source)
    return render(
        request,
        "runbook.html",
        caller,
        active="runbooks",
        runbook=stored,
        parsed=parsed,
        origin="upload" if is_uploaded(stored) else "folder",
        can_edit=caller.user.role in (Role.RESPONDER, Role.ADMIN),
    )
