"""The FastAPI application: thin routes over a ``Hub`` passed in (never built at import time)."""

from __future__ import annotations

from fastapi import FastAPI

from hub.hub import Hub
from web import problems
from web.api import admin, axons, commands, sdk


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

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
