"""Rendering the panel's pages: the Jinja2 environment, its filters, and the common context."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import Caller
from api.sessions import COOKIE_NAME, CSRF_FIELD, SessionSigner
from incidents.triage_report import slug

WEB = Path(__file__).parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
_UNITS = (("d", 86400), ("h", 3600), ("min", 60))
RUNBOOK_API = "/api/v1/runbooks/"


def span(seconds: float) -> str:
    """A duration as a person says it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    parts = []
    for unit, size in _UNITS:
        if seconds >= size:
            parts.append(f"{int(seconds // size)} {unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def ago(at: datetime | None, now: datetime) -> str:
    """`5 min ago`, `in 2 h`, or `just now` (the browser keeps it current)."""
    if at is None:
        return ""
    seconds = (now - at).total_seconds()
    if abs(seconds) < 10:
        return "just now"
    return f"{span(seconds)} ago" if seconds > 0 else f"in {span(seconds)}"


def human_bytes(value: float) -> str:
    """`1.5 GiB`."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def runbook_page(link: str) -> str:
    """A runbook's API address (`/api/v1/runbooks/{id}#{section}`) as the panel's page."""
    return "/runbooks/" + link.removeprefix(RUNBOOK_API) if link.startswith(RUNBOOK_API) else link


def is_page(request: Request) -> bool:
    """Whether the request is a browser's for a page (not for the JSON API or a file)."""
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get(
        "accept", ""
    )


def make_templates(version: str) -> Jinja2Templates:
    """The pages' templates, with the panel's filters and globals."""
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.filters["ago"] = ago
    env.filters["span"] = lambda td: span(td.total_seconds()) if isinstance(td, timedelta) else ""
    env.filters["bytes"] = human_bytes
    env.filters["runbook_page"] = runbook_page
    env.filters["slug"] = slug
    env.globals["static"] = lambda path: f"/static/{path}?v={version}"
    env.globals["version"] = version
    return templates


def render(
    request: Request,
    template: str,
    caller: Caller | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page, with who is logged in, their CSRF token and the time, for the layout."""
    templates: Jinja2Templates = request.app.state.templates
    signer: SessionSigner = request.app.state.session_signer
    cookie = request.cookies.get(COOKIE_NAME)
    context.update(
        me=caller.user if caller else None,
        csrf=signer.csrf_token(cookie) if cookie and caller else "",
        live_after=request.app.state.live_feed.now().encode() if caller else "",
        csrf_field=CSRF_FIELD,
        now=request.app.state.clock.now(),
    )
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
