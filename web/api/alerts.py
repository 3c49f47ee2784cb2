"""/api/v1/alerts, /monitors, /silences and maintenance windows: thin routes over the hub."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from hub.alerts import AlertEventView, AlertView
from hub.maintenance import MaintenanceView
from hub.silences import SilenceView
from web.deps import AdminCaller, AdminDep, HubDep, ReaderDep, bearer, read_body

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.get("/alerts", dependencies=[ReaderDep])
async def list_alerts(
    hub: HubDep,
    axon_id: str | None = None,
    state: str | None = Query(None, pattern="^(pending|firing|resolved|ok)$"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[AlertView]:
    return hub.alerts.list(axon_id, state, limit)


@router.get("/alerts/{alert_id}", dependencies=[ReaderDep])
async def get_alert(alert_id: int, hub: HubDep) -> AlertView:
    return hub.alerts.get(alert_id)


@router.get("/alerts/{alert_id}/events", dependencies=[ReaderDep])
async def alert_events(alert_id: int, hub: HubDep) -> list[AlertEventView]:
    """The alert's transitions, newest first: from, to, reason, time, what the dispatcher did."""
    hub.alerts.get(alert_id)
    return hub.alerts.events(alert_id=alert_id)


@router.get("/monitors", dependencies=[ReaderDep])
async def monitors(hub: HubDep, axon_id: str | None = None) -> list[dict[str, Any]]:
    """Every compiled monitor with its state: ok, pending, firing or error (with the error)."""
    return hub.monitors.monitor_states(axon_id)


@router.post("/silences", status_code=201)
async def create_silence(request: Request, hub: HubDep, caller: AdminCaller) -> SilenceView:
    return hub.silences.create(hub.parse_json(await read_body(request)), caller.name)


@router.get("/silences", dependencies=[ReaderDep])
async def list_silences(hub: HubDep, include_ended: bool = False) -> list[SilenceView]:
    return hub.silences.list(include_ended)


@router.post("/silences/{silence_id}/end", dependencies=[AdminDep])
async def end_silence(silence_id: int, hub: HubDep) -> SilenceView:
    return hub.silences.end(silence_id)


@router.delete("/silences/{silence_id}", dependencies=[AdminDep])
async def delete_silence(silence_id: int, hub: HubDep) -> SilenceView:
    """Same as ``POST …/end``: a silence is ended, never forgotten."""
    return hub.silences.end(silence_id)


@router.post("/axons/{axon_id}/maintenance")
async def maintenance(axon_id: str, request: Request, hub: HubDep) -> JSONResponse:
    """``{"duration": 600, "reason": "backup"}`` or ``{"end": true}``, sent by the axon itself
    (``Authorization: Bearer <axon token>``, e.g. a backup job) or by an admin (API key)."""
    secret = bearer(request)
    caller = hub.credentials.check_api_key(secret)
    token = None if caller is not None and caller.is_admin else secret
    body = await read_body(request)
    window = hub.maintenance_http(axon_id, token, body)
    return JSONResponse(window.model_dump(), status_code=200)


@router.get("/maintenance", dependencies=[ReaderDep])
async def list_maintenance(hub: HubDep, axon_id: str | None = None) -> list[MaintenanceView]:
    return hub.maintenance.windows(axon_id)
