"""The FastAPI application: thin routes over a ``Hub`` passed in (never built at import time)."""

from __future__ import annotations

from fastapi import FastAPI

from hub.hub import Hub
from web import metrics, pages, problems
from web.api import admin, axons, commands, scheduler, sdk, system
from web.api import alerts as alerts_api
from web.api import notify as notify_api
from web.api import recovery as recovery_api


def create_app(hub: Hub) -> FastAPI:
    app = FastAPI(
        title="Synapse",
        version="0.1.0",
        summary="The hub for homelab services.",
        docs_url="/docs",
    )
    app.state.hub = hub
    problems.install(app)
    app.include_router(axons.router)
    app.include_router(admin.router)
    app.include_router(commands.router)
    app.include_router(sdk.router)
    app.include_router(scheduler.router)
    app.include_router(system.router)
    app.include_router(recovery_api.router)
    app.include_router(alerts_api.router)
    app.include_router(notify_api.router)
    metrics.install(app, hub)  # /metrics and the HTTP-stats middleware
    pages.install(app, hub)  # the dashboard: sign-in, pages, live events, headers

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
