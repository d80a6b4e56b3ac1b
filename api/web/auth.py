"""Logging in to the panel with an API token, logging out, and the pages' caller.

`POST /login` checks the token as the API does, then sets the session cookie (`api/sessions.py`)
and records `session.login` in the audit log; `POST /logout` clears it and records
`session.logout`. A page asked for without a valid session redirects to `/login?next=<page>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import Caller, Now, Sessions, cookie_user, session_signer
from api.sessions import COOKIE_NAME, CSRF_FIELD
from api.web.render import render
from core.logs import get_logger
from incidents.audit import audit, user_actor
from incidents.models.people import User
from incidents.people import authenticate_user

log = get_logger(__name__)
router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 8192


class LoginRequired(Exception):
    """A page was asked for without a valid session."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def login_redirect(request: Request, exc: Exception) -> Response:
    """To the login page, coming back to the page afterwards."""
    del request
    path = exc.path if isinstance(exc, LoginRequired) else "/"
    response = RedirectResponse(f"/login?next={quote(path, safe='/')}", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


def page_caller(request: Request, sessions: Sessions, clock: Now) -> Caller:
    """The user of the session cookie; `LoginRequired` without one."""
    user = cookie_user(request, sessions, clock.now())
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return Caller(user=user, request_id=request.headers.get("x-request-id"))


PageCaller = Annotated[Caller, Depends(page_caller)]


def safe_next(target: str | None) -> str:
    """A local path to go back to (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def form(request: Request) -> dict[str, str]:
    """The fields of a small `application/x-www-form-urlencoded` body."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


@router.get("/login")
def login_page(request: Request, sessions: Sessions, clock: Now, next: str = "/") -> Response:
    """The login form (straight to `next` when the session is still valid)."""
    if cookie_user(request, sessions, clock.now()) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login")
async def login(request: Request, sessions: Sessions, clock: Now) -> Response:
    """Check the API token; set the session cookie and go to `next`."""
    fields = await form(request)
    target = safe_next(fields.get("next"))
    token = fields.get("token", "").strip()
    now = clock.now()
    with sessions() as session:
        user = authenticate_user(session, token) if token else None
        if user is not None:
            _audit(session, request, user, "session.login", now)
    if user is None:
        log.warning("web.login_refused", client=request.client.host if request.client else None)
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            next=target,
            error="That API token is unknown, or its user is disabled.",
        )
    return _with_session(request, RedirectResponse(target, status_code=303), user, now)


def _audit(session: Session, request: Request, user: User, action: str, now: datetime) -> None:
    """Record a login or logout of `user` in the audit log, and commit."""
    audit(
        session,
        now=now,
        actor=user_actor(user.id),
        action=action,
        target_type="user",
        target_id=user.id,
        reason="web panel",
        request_id=request.headers.get("x-request-id"),
    )
    session.commit()


def _with_session(request: Request, response: Response, user: User, now: datetime) -> Response:
    signer = session_signer(request)
    settings = request.app.state.settings.web
    secure = settings.cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE_NAME,
        signer.issue(user.id, user.token_hash, now=now),
        max_age=int(signer.lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


@router.post("/logout")
async def logout(request: Request, sessions: Sessions, clock: Now) -> Response:
    """Clear the session (its CSRF token must come with the form)."""
    fields = await form(request)
    cookie = request.cookies.get(COOKIE_NAME)
    now = clock.now()
    user = cookie_user(request, sessions, now)
    if (
        user is not None
        and cookie
        and session_signer(request).csrf_ok(cookie, fields.get(CSRF_FIELD))
    ):
        with sessions() as session:
            _audit(session, request, user, "session.logout", now)
    elif user is not None:
        return Response("the logout form's CSRF token is missing or wrong", status_code=403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
