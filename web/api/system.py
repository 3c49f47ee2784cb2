"""/api/v1/system: the host's and the hub's stats, the quiet state, health and quiet streaks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from web.deps import HubDep, ReaderDep

router = APIRouter(prefix="/api/v1/system", tags=["system"], dependencies=[ReaderDep])


@router.get("/current")
async def current(hub: HubDep) -> dict[str, Any]:
    """The latest snapshot of every group, collector errors, and the quiet state."""
    return hub.system.current()


@router.get("/history")
async def history(
    hub: HubDep,
    group: str = Query("host", description="host, process, http, mqtt or quiet"),
    range: float = Query(3600, gt=0, le=366 * 86400, description="seconds back from now"),  # noqa: A002
    step: float = Query(60, gt=0, description="seconds per point (averages)"),
) -> list[dict[str, Any]]:
    return hub.system.history(group, range, step)


@router.get("/health")
async def health(hub: HubDep) -> dict[str, Any]:
    """ok / warn / error with the reasons."""
    return hub.system.health()


@router.get("/streaks")
async def streaks(hub: HubDep) -> list[dict[str, Any]]:
    """QUIET streaks of the last 24 hours: start, end, average and minimum score."""
    return hub.system.streaks(24.0)
