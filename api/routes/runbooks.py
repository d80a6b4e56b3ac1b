"""Runbooks: list, read, search, upload, delete, and reload the runbook folder.

Runbooks come from two places: the runbook folder (`memory.runbooks_dir`, else the library
PixelView ships), loaded at start and on `POST /runbooks/reload`, and uploads. An upload may
replace an earlier upload but not a folder runbook, and only uploads can be deleted here: the
folder is the source of truth for its own files (edit or remove the file, then reload).
Every change is in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import PlainTextResponse

from api.deps import Caller, CurrentCaller, Now, Sessions
from api.schemas.runbooks import ReloadOut, RunbookDetailOut, RunbookOut, UploadOut
from core.errors import TooLarge, Unavailable
from core.taxonomy import Category, Cloud
from incidents.audit import audit
from incidents.models.people import Role
from memory.ingest import (
    MAX_UPLOAD_BYTES,
    delete_upload,
    ingest_folder,
    ingest_upload,
    is_uploaded,
)
from memory.models import RunbookFilters, RunbookInfo, RunbookSearch, UpsertOutcome
from memory.port import MemoryStore
from memory.runbooks import parse_runbook

router = APIRouter(prefix="/api/v1/runbooks", tags=["runbooks"])
_TEXT = {"schema": {"type": "string"}}


def memory_store(request: Request) -> MemoryStore:
    """The app's memory store; 503 when this server has none."""
    store: MemoryStore | None = request.app.state.memory
    if store is None:
        raise Unavailable("this server has no memory store (runbooks and past incidents)")
    return store


def runbook_folder(request: Request) -> Path | None:
    """The folder `POST /runbooks/reload` loads (None: reloading is not offered)."""
    folder: Path | None = request.app.state.runbooks_dir
    return folder


Memory = Annotated[MemoryStore, Depends(memory_store)]


def link(runbook_id: str) -> str:
    """A runbook's address in the API."""
    return f"{router.prefix}/{runbook_id}"


def _out(info: RunbookInfo) -> RunbookOut:
    return RunbookOut(
        **info.model_dump(include=set(RunbookInfo.model_fields)),
        origin="upload" if is_uploaded(info) else "folder",
        link=link(info.id),
    )


@router.get("", response_model=list[RunbookOut])
async def list_runbooks(store: Memory, caller: CurrentCaller) -> list[RunbookOut]:
    """Every stored runbook, by id."""
    del caller
    return [_out(info) for info in await store.list_runbooks()]


@router.get("/search", response_model=RunbookSearch)
async def search_runbooks(
    store: Memory,
    caller: CurrentCaller,
    q: Annotated[str, Query(min_length=1, max_length=4000, description="What to look for.")],
    cloud: Cloud | None = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    alert: Annotated[str | None, Query(max_length=200)] = None,
    category: Category | None = None,
    k: Annotated[int, Query(ge=1, le=20, description="Sections to return.")] = 5,
) -> RunbookSearch:
    """The best runbook sections for `q`, or no good match (`hits` empty, `nearest` set)."""
    del caller
    filters = RunbookFilters(cloud=cloud, kind=kind, alert=alert, category=category)
    return await store.search_runbooks(q, filters=filters, k=k)


@router.post("/reload", response_model=ReloadOut)
async def reload_runbooks(
    request: Request, store: Memory, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> ReloadOut:
    """Load the runbook folder again: new and changed files stored, removed files forgotten."""
    caller.require(Role.ADMIN)
    folder = runbook_folder(request)
    if folder is None:
        raise Unavailable("this server has no runbook folder to reload")
    done = await ingest_folder(store, folder)
    out = ReloadOut(
        folder=str(folder),
        created=[o.runbook_id for o in done.outcomes if o.status == "created"],
        updated=[o.runbook_id for o in done.outcomes if o.status == "updated"],
        unchanged=done.count("unchanged"),
        removed=done.removed,
        chunks=done.chunks,
    )
    _record(
        sessions,
        clock,
        caller,
        "runbook.reload",
        folder,
        after=out.model_dump(exclude={"unchanged", "chunks"}),
    )
    return out


@router.post(
    "",
    response_model=UploadOut,
    responses={200: {"description": "a new version, or the same content again"}, 201: {}},
    status_code=201,
)
async def upload_runbook(
    response: Response,
    store: Memory,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    file: Annotated[UploadFile, File(description="The runbook: markdown with front matter.")],
    runbook_id: Annotated[
        str | None, Form(alias="id", description="Default: the file name without `.md`.")
    ] = None,
) -> UploadOut:
    """Upload a runbook file (multipart `file`); 201 when new, 200 when it replaced one."""
    caller.require(Role.RESPONDER)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    outcome = await ingest_upload(
        store, filename=file.filename or "runbook.md", content=content, runbook_id=runbook_id
    )
    return _uploaded(outcome, response, sessions, clock, caller)


@router.put(
    "/{runbook_id}",
    response_model=UploadOut,
    openapi_extra={"requestBody": {"required": True, "content": {"text/markdown": _TEXT}}},
    responses={201: {"description": "a new runbook"}},
)
async def put_runbook(
    runbook_id: str,
    request: Request,
    response: Response,
    store: Memory,
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
) -> UploadOut:
    """Store the request body (markdown with front matter) as runbook `runbook_id`."""
    caller.require(Role.RESPONDER)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"{declared} bytes; a runbook may be {MAX_UPLOAD_BYTES} at most")
    outcome = await ingest_upload(
        store, filename=f"{runbook_id}.md", content=await request.body(), runbook_id=runbook_id
    )
    return _uploaded(outcome, response, sessions, clock, caller)


def _uploaded(
    outcome: UpsertOutcome, response: Response, sessions: Sessions, clock: Now, caller: Caller
) -> UploadOut:
    response.status_code = 201 if outcome.status == "created" else 200
    done = outcome.model_dump()
    _record(sessions, clock, caller, "runbook.upload", outcome.runbook_id, after=done)
    return UploadOut(**outcome.model_dump(), link=link(outcome.runbook_id))


@router.get("/{runbook_id}", response_model=RunbookDetailOut)
async def get_runbook(runbook_id: str, store: Memory, caller: CurrentCaller) -> RunbookDetailOut:
    """One runbook: its front matter, sections and markdown."""
    del caller
    stored = await store.get_runbook(runbook_id)
    parsed = parse_runbook(stored.markdown, runbook_id=stored.id, source=stored.source)
    return RunbookDetailOut(
        **_out(stored).model_dump(),
        applies_to=parsed.applies_to,
        sections=parsed.sections,
        markdown=stored.markdown,
    )


@router.get(
    "/{runbook_id}/markdown",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def get_runbook_markdown(runbook_id: str, store: Memory, caller: CurrentCaller) -> Response:
    """The runbook's file, as it was stored."""
    del caller
    stored = await store.get_runbook(runbook_id)
    return PlainTextResponse(stored.markdown, media_type="text/markdown; charset=utf-8")


@router.delete("/{runbook_id}", status_code=204)
async def delete_runbook(
    runbook_id: str, store: Memory, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> Response:
    """Delete an uploaded runbook (409 for a runbook of the folder)."""
    caller.require(Role.RESPONDER)
    gone = await delete_upload(store, runbook_id)
    before = {"version": gone.version, "source": gone.source, "title": gone.title}
    _record(sessions, clock, caller, "runbook.delete", runbook_id, before=before)
    return Response(status_code=204)


def _record(
    sessions: Sessions,
    clock: Now,
    caller: Caller,
    action: str,
    target: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append the change to the audit log (target type: `runbook`, or the folder on reload)."""
    with sessions() as session:
        audit(
            session,
            now=clock.now(),
            actor=caller.actor,
            action=action,
            target_type="runbook_folder" if action == "runbook.reload" else "runbook",
            target_id=target,
            before=before,
            after=after,
            request_id=caller.request_id,
        )
        session.commit()
