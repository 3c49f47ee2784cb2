"""/api/v1/scheduler: leases over HTTP, the same model as ``synapse/lease/{id}/…`` over MQTT.

Who may call: an axon with its own token (``Authorization: Bearer <axon token>``) for leases of
its own ``axon_id`` — what a curl reporter has — or an admin API key for any axon. Reading the
status, the summary and the events needs any API key (viewers too); revoking needs an admin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from hub.errors import ForbiddenError
from hub.hub import Hub
from hub.leases import LeaseView
from web.deps import AdminCaller, HubDep, ReaderDep, bearer, read_body

router = APIRouter(prefix="/api/v1/scheduler", tags=["scheduler"])


def authorize(hub: Hub, request: Request, axon_id: str) -> str:
    """Who is asking for ``axon_id``: an admin key, or that axon's own token."""
    token = bearer(request)
    caller = hub.credentials.check_api_key(token)
    if caller is not None:
        if not caller.is_admin:
            raise ForbiddenError(f"{caller.name} is a {caller.role}; leases need an admin")
        return caller.name
    hub.credentials.verify(axon_id, token)
    return f"axon:{axon_id}"


async def _body(hub: Hub, request: Request) -> dict[str, Any]:
    raw = await read_body(request, 16 * 1024)
    data = hub.parse_json(raw) if raw.strip() else {}
    return data if isinstance(data, dict) else {"_": data}


@router.post("/leases", responses={202: {"description": "queued (wait=true)"}})
async def request_lease(request: Request, hub: HubDep) -> JSONResponse:
    """Ask for a lease. 200 with ``approved`` true or false (a denial is an answer, not an
    error, and carries ``retry_after_sec`` and a reason); 202 when queued."""
    data = await _body(hub, request)
    authorize(hub, request, str(data.get("axon_id", ""))[:64])
    view = hub.leases.request(data, via="http")
    return JSONResponse(view.model_dump(), status_code=202 if view.state == "queued" else 200)


@router.get("/leases/{lease_id}")
async def get_lease(lease_id: str, request: Request, hub: HubDep) -> LeaseView:
    view = hub.leases.get(lease_id)
    token = bearer(request)
    if hub.credentials.check_api_key(token) is None:
        hub.credentials.verify(view.axon_id, token)
    return view


@router.post("/leases/{lease_id}/heartbeat")
async def heartbeat(lease_id: str, request: Request, hub: HubDep) -> LeaseView:
    axon_id = hub.leases.get(lease_id).axon_id
    authorize(hub, request, axon_id)
    return hub.leases.heartbeat(axon_id, lease_id)


@router.post("/leases/{lease_id}/progress")
async def progress(lease_id: str, request: Request, hub: HubDep) -> LeaseView:
    """Body ``{"progress": 40}`` or any small JSON object; also counts as a heartbeat."""
    axon_id = hub.leases.get(lease_id).axon_id
    authorize(hub, request, axon_id)
    data = await _body(hub, request)
    return hub.leases.progress(axon_id, lease_id, data.get("progress", data))


@router.post("/leases/{lease_id}/release")
async def release(lease_id: str, request: Request, hub: HubDep) -> LeaseView:
    axon_id = hub.leases.get(lease_id).axon_id
    authorize(hub, request, axon_id)
    data = await _body(hub, request)
    return hub.leases.release(axon_id, lease_id, str(data.get("note") or ""))


@router.post("/leases/{lease_id}/revoke")
async def revoke(lease_id: str, request: Request, hub: HubDep, caller: AdminCaller) -> LeaseView:
    """Take a lease back; the axon hears it on ``synapse/lease/{id}/revoke``."""
    data = await _body(hub, request)
    return hub.leases.revoke(lease_id, str(data.get("reason") or ""), caller.name)


@router.get("/status", dependencies=[ReaderDep])
async def status(hub: HubDep) -> dict[str, Any]:
    """Active, queued and recent leases, capacity in use, and the quiet state."""
    return hub.leases.status()


@router.get("/axons", dependencies=[ReaderDep])
async def axon_summary(hub: HubDep) -> list[dict[str, Any]]:
    """Per axon: grants, denies and the last decision's reason."""
    return hub.leases.summary()


@router.get("/events", dependencies=[ReaderDep])
async def events(
    hub: HubDep, lease_id: str | None = None, limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """Every decision (grant, deny, queue, release, expire, revoke, cancel), newest first."""
    return hub.leases.events(limit, lease_id)
