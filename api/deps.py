"""Request dependencies: the database session factory, the clock, the current user.

A caller is authenticated by `Authorization: Bearer <API token>`, or by the web panel's
session cookie (`api/sessions.py`); a state-changing request authenticated by the cookie must
carry its CSRF token too. Either way the caller is the same user, with the same role checks
and the same audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from api.sessions import COOKIE_NAME, CSRF_HEADER, SAFE_METHODS, SessionSigner
from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import Forbidden, InvalidRequest, PixelViewError
from incidents.audit import user_actor
from incidents.models.people import Role, User
from incidents.people import authenticate_user

_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}


class Unauthenticated(PixelViewError):
    """No valid API token was presented."""

    code = "unauthenticated"


def sessions(request: Request) -> SessionFactory:
    """The app's session factory."""
    factory: SessionFactory = request.app.state.sessions
    return factory


def clock(request: Request) -> Clock:
    """The app's clock."""
    app_clock: Clock = request.app.state.clock
    return app_clock


@dataclass(frozen=True)
class Caller:
    """The authenticated user of a request, and the request's id for the audit log."""

    user: User
    request_id: str | None

    @property
    def actor(self) -> str:
        """The audit/timeline reference of the user."""
        return user_actor(self.user.id)

    def require(self, role: Role) -> None:
        """Raise `Forbidden` unless the user's role is at least `role`."""
        if _RANK[Role(self.user.role)] < _RANK[role]:
            raise Forbidden(
                f"this needs the {role.value} role; {self.user.email} is {self.user.role}"
            )


def session_signer(request: Request) -> SessionSigner:
    """The app's signer of web panel sessions."""
    signer: SessionSigner = request.app.state.session_signer
    return signer


def cookie_user(request: Request, factory: SessionFactory, now: datetime) -> User | None:
    """The active user of the request's session cookie, when it has a valid one."""
    cookie = request.cookies.get(COOKIE_NAME)
    claim = SessionSigner.parse(cookie) if cookie else None
    if claim is None:
        return None
    with factory() as session:
        user = session.get(User, claim.user_id)
    if user is None or not user.active:
        return None
    return user if session_signer(request).verify(claim, user.token_hash, now=now) else None


def current_caller(
    request: Request,
    factory: Annotated[SessionFactory, Depends(sessions)],
    app_clock: Annotated[Clock, Depends(clock)],
) -> Caller:
    """Authenticate `Authorization: Bearer <token>` (a user's API token) or the panel's cookie."""
    request_id = request.headers.get("x-request-id")
    header = request.headers.get("authorization")
    if header is None and COOKIE_NAME in request.cookies:
        user = cookie_user(request, factory, app_clock.now())
        if user is None:
            raise Unauthenticated("the session has expired or its user is disabled; log in again")
        cookie = request.cookies[COOKIE_NAME]
        if request.method not in SAFE_METHODS and not session_signer(request).csrf_ok(
            cookie, request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden(f"a request authenticated by the session cookie needs {CSRF_HEADER}")
        return Caller(user=user, request_id=request_id)
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send `Authorization: Bearer <API token>`")
    with factory() as session:
        user = authenticate_user(session, token.strip())
    if user is None:
        raise Unauthenticated("the API token is unknown or its user is disabled")
    return Caller(user=user, request_id=request_id)


Sessions = Annotated[SessionFactory, Depends(sessions)]
Now = Annotated[Clock, Depends(clock)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]


def label_filters(pairs: list[str]) -> dict[str, str]:
    """Repeated `label=name=value` query parameters as a mapping; 422 naming a malformed one."""
    labels = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidRequest(f"label filter {pair!r} must look like name=value")
        labels[name] = value
    return labels
