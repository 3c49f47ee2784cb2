"""/api/v1/axons/{id}/actions/{action}: run an action; /api/v1/commands: the ledger."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from hub.commands import FINAL_STATES, CommandView
from hub.events import Event
from web.deps import AdminCaller, HubDep, ReaderDep, read_body

router = APIRouter(prefix="/api/v1", tags=["commands"])


@router.post(
    "/axons/{axon_id}/actions/{action_id}",
    status_code=202,
    responses={200: {"description": "the result arrived within ?wait"}},
)
async def run_action(
    axon_id: str,
    action_id: str,
    request: Request,
    hub: HubDep,
    caller: AdminCaller,
    wait: float = Query(0, ge=0, le=60, description="seconds to wait for the result"),
) -> JSONResponse:
    """Send a command. 202 with its ``request_id``; with ``?wait=N``, 200 once it finished."""
    body = await read_body(request)
    params: Any = None
    if body.strip():
        payload = hub.parse_json(body)
        params = payload.get("params") if isinstance(payload, dict) else payload
    done = asyncio.get_running_loop().create_future()
    wanted: list[str] = []  # the request id, once the command exists

    def on_event(event: Event) -> None:
        if (
            event.kind == "command"
            and wanted
            and event.data.get("request_id") == wanted[0]
            and event.data.get("state") in FINAL_STATES
            and not done.done()
        ):
            done.set_result(event.data)

    unsubscribe = hub.events.subscribe(on_event)
    try:
        command = hub.run_action(axon_id, action_id, params, caller.name)
        wanted.append(command.request_id)
        if wait:
            try:
                finished = await asyncio.wait_for(done, wait)
                return JSONResponse(finished, status_code=200)
            except TimeoutError:
                command = hub.commands.get(command.request_id)
    finally:
        unsubscribe()
    return JSONResponse(command.model_dump(), status_code=200 if command.state != "sent" else 202)


@router.get("/commands/{request_id}", dependencies=[ReaderDep])
async def get_command(request_id: str, hub: HubDep) -> CommandView:
    return hub.commands.get(request_id)


@router.get("/commands", dependencies=[ReaderDep])
async def recent_commands(
    hub: HubDep, axon_id: str | None = None, limit: int = Query(50, ge=1, le=500)
) -> list[CommandView]:
    return hub.commands.recent(axon_id, limit)
