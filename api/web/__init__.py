"""The web panel: server-rendered pages, their static files, login and logout (docs/web.md)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import auth, pages
from api.web.render import STATIC, make_templates


def install_web(app: FastAPI) -> None:
    """Serve the panel's pages and assets on `app` (no CDN: every asset is in `static/`)."""
    app.state.templates = make_templates(app.version)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(auth.LoginRequired, auth.login_redirect)
    app.include_router(auth.router)
    app.include_router(pages.router)
