"""The one place where errors become HTTP responses.

Every error body has the same shape: `{"error": <code>, "message": <text a
person can act on>}`, plus `details` for validation errors.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from api.deps import Unauthenticated
from api.web.render import is_page, render
from core.errors import (
    ConfigError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    PixelViewError,
    TooLarge,
    Unavailable,
)
from core.logs import get_logger

log = get_logger(__name__)

STATUS_BY_ERROR: dict[type[PixelViewError], int] = {
    Unauthenticated: 401,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    InvalidRequest: 422,
    TooLarge: 413,
    Unavailable: 503,
    ConfigError: 500,
}


def status_for(error: PixelViewError) -> int:
    """HTTP status for a domain error (the nearest registered base class wins)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers for domain, validation and unexpected errors."""

    @app.exception_handler(PixelViewError)
    async def _domain(request: Request, exc: PixelViewError) -> Response:
        status = status_for(exc)
        if status >= 500:
            log.error("api.domain_error", path=request.url.path, error=exc.message, code=exc.code)
        if is_page(request):
            return render(request, "error.html", None, status_code=status, error=exc)
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
            for err in exc.errors()
        ]
        return JSONResponse(
            {
                "error": "invalid_request",
                "message": "; ".join(problems) or "invalid request",
                "details": [
                    {
                        "loc": list(err.get("loc", ())),
                        "msg": err.get("msg"),
                        "type": err.get("type"),
                    }
                    for err in exc.errors()
                ],
            },
            status_code=422,
        )

    @app.exception_handler(ValidationError)
    async def _model_validation(_request: Request, exc: ValidationError) -> JSONResponse:
        # A model built from the request inside a service (a schedule, a policy) refused it.
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or exc.title}: {err['msg']}"
            for err in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid_request", "message": "; ".join(problems)}, status_code=422
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("api.unhandled_error", path=request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": "internal", "message": "internal error; the server log has the details"},
            status_code=500,
        )
