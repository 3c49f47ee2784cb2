"""/api/v1/notify: a script's notification (de-duplicated by key), the outbox and channels.

Channels hold apprise URLs with secrets in them: they are accepted here and never returned.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from hub.notify import ChannelView, NotificationView
from web.deps import AdminDep, HubDep, ReaderDep, read_body

router = APIRouter(prefix="/api/v1/notify", tags=["notify"])


@router.post("", dependencies=[AdminDep], status_code=202)
async def notify(request: Request, hub: HubDep) -> JSONResponse:
    """``{"title", "body", "severity", "dedup_key", "tags"}``: 202 queued; 200 with
    ``duplicate: true`` when the same ``dedup_key`` was sent within the window."""
    view = hub.outbox.notify(hub.parse_json(await read_body(request)))
    return JSONResponse(view.model_dump(), status_code=200 if view.duplicate else 202)


@router.get("/notifications", dependencies=[ReaderDep])
async def notifications(
    hub: HubDep, limit: int = Query(50, ge=1, le=500)
) -> list[NotificationView]:
    return hub.outbox.recent(limit)


@router.get("/notifications/{notification_id}", dependencies=[ReaderDep])
async def notification(notification_id: int, hub: HubDep) -> NotificationView:
    """One notification with every delivery attempt (channel, outcome, error)."""
    return hub.outbox.get(notification_id)


@router.get("/channels", dependencies=[ReaderDep])
async def channels(hub: HubDep) -> list[ChannelView]:
    return hub.outbox.channels()


@router.post("/channels", dependencies=[AdminDep], status_code=201)
async def add_channel(request: Request, hub: HubDep) -> ChannelView:
    """``{"name", "url", "severities": [...], "tags": [...]}``; the URL is never shown back."""
    return hub.outbox.add_channel(hub.parse_json(await read_body(request)))


@router.delete("/channels/{channel_id}", dependencies=[AdminDep], status_code=204)
async def remove_channel(channel_id: int, hub: HubDep) -> Response:
    hub.outbox.remove_channel(channel_id)
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", dependencies=[AdminDep], status_code=202)
async def test_channel(channel_id: int, hub: HubDep) -> NotificationView:
    """Queue a test notification for this channel only; follow it at /notifications/{id}."""
    return hub.outbox.test_channel(channel_id)
