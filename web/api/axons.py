"""/api/v1/axons: list, inspect, override, approve; and the axon-token report endpoint."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from hub.views import AxonDetail, AxonSummary
from web.deps import AdminDep, HubDep, ReaderDep, bearer, read_body

router = APIRouter(prefix="/api/v1/axons", tags=["axons"])


@router.get("", dependencies=[ReaderDep])
async def list_axons(hub: HubDep) -> list[AxonSummary]:
    return hub.axons()


@router.get("/{axon_id}", dependencies=[ReaderDep])
async def get_axon(axon_id: str, hub: HubDep) -> AxonDetail:
    return hub.axon(axon_id)


@router.patch("/{axon_id}/overrides", dependencies=[AdminDep])
async def patch_overrides(axon_id: str, request: Request, hub: HubDep) -> AxonDetail:
    """JSON merge-patch of the policy layer: null resets a field, "" or [] clears it."""
    return hub.patch_overrides(axon_id, hub.parse_json(await read_body(request)))


@router.delete("/{axon_id}/overrides/{path}", dependencies=[AdminDep])
async def reset_override(axon_id: str, path: str, hub: HubDep) -> AxonDetail:
    """Reset one override (e.g. ``name`` or ``widgets.cpu.label``) to the axon's default."""
    return hub.reset_override(axon_id, path)


@router.post("/{axon_id}/approve", dependencies=[AdminDep])
async def approve(axon_id: str, hub: HubDep) -> AxonDetail:
    return hub.approve(axon_id)


@router.post("/{axon_id}/reject", dependencies=[AdminDep])
async def reject(axon_id: str, hub: HubDep) -> AxonDetail:
    return hub.reject(axon_id)


@router.get("/{axon_id}/history/{widget_id}", dependencies=[ReaderDep])
async def history(
    axon_id: str,
    widget_id: str,
    hub: HubDep,
    since: float | None = Query(None, description="epoch seconds; default: the last hour"),
    limit: int = Query(1000, ge=1, le=10_000),
) -> list[tuple[float, Any]]:
    start = since if since is not None else time.time() - 3600
    return hub.history_of(axon_id, widget_id, start, limit)


@router.get("/{axon_id}/snapshots/latest", dependencies=[ReaderDep])
async def latest_snapshot(axon_id: str, hub: HubDep) -> dict[str, Any]:
    return hub.snapshot(axon_id)


@router.get("/{axon_id}/snapshots/{snapshot_id}", dependencies=[ReaderDep])
async def snapshot(axon_id: str, snapshot_id: int, hub: HubDep) -> dict[str, Any]:
    return hub.snapshot(axon_id, snapshot_id)


@router.post("/{axon_id}/report", status_code=204)
async def report(axon_id: str, request: Request, hub: HubDep) -> Response:
    """For curl reporters: ``Authorization: Bearer <axon token>`` and a JSON object body."""
    hub.report_http(axon_id, bearer(request), await read_body(request))
    return Response(status_code=204)
