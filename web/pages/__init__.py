"""The dashboard: server-rendered pages over the hub, plus their live event stream.

``install(app, hub)`` adds everything to the FastAPI app: the accounts (users and sessions), the
security headers, the static files, and the page routes. Visitors who are not signed in are sent
to the sign-in page, or to the first-run setup while no admin exists.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from hub.accounts import Accounts
from hub.hub import Hub
from web import security
from web.auth import LoginThrottle
from web.pages import access, dashboard, live, operations
from web.pages.render import (
    TEMPLATES,
    LoginRequired,
    PageForbidden,
    build_environment,
    render,
    to_login,
)

STATIC = TEMPLATES.parent / "static"


def install(app: FastAPI, hub: Hub) -> None:
    settings = hub.settings
    accounts = Accounts(hub.storage, hub.clock, session_lifetime=settings.session_hours * 3600)
    password = settings.admin_password.get_secret_value()
    if password and accounts.needs_setup():
        accounts.create_first_admin(settings.admin_username, password)
    app.state.accounts = accounts
    app.state.login_throttle = LoginThrottle(hub.clock)
    app.state.pages_env = build_environment()
    app.state.live_streams = set()
    security.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(access.router)
    app.include_router(dashboard.router)
    app.include_router(live.router)
    app.include_router(operations.router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        return to_login(request)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "message.html", 403, title="Not allowed", message=exc.message)


def close_streams(app: FastAPI) -> None:
    """End the dashboards' open event streams so the HTTP server can stop at once."""
    live.close_streams(app.state.live_streams)
