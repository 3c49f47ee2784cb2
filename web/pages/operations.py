"""Alerts (firing, recent, silences), notifications (channels, test send, delivery log) and the
scheduler (quiet state, leases): thin pages over the hub's alert, outbox and lease parts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.errors import SynapseError
from web.pages.render import form_of, hub_of, render, signed_in, signed_in_admin

router = APIRouter(include_in_schema=False)


def _alerts(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    hub = hub_of(request)
    active = hub.alerts.list(None, "firing", 500) + hub.alerts.list(None, "pending", 500)
    return render(
        request,
        "alerts.html",
        status,
        active=active,
        recent=hub.alerts.list(None, None, 100),
        silences=hub.silences.list(include_ended=True, limit=100),
        error=error,
    )


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request) -> Response:
    signed_in(request)
    return _alerts(request)


@router.post("/alerts/silences", response_class=HTMLResponse)
async def create_silence(request: Request) -> Response:
    session = signed_in_admin(request)
    form = await form_of(request, session)
    spec: dict[str, Any] = {
        "axon": form.get("axon", "").strip(),
        "widget": form.get("widget", "").strip(),
        "severity": form.get("severity", ""),
        "comment": form.get("comment", "").strip(),
    }
    try:
        spec["duration"] = float(form.get("minutes", "0") or 0) * 60
        hub_of(request).silences.create(spec, session.user.caller().name)
    except ValueError:
        return _alerts(request, 422, "the duration must be a number of minutes")
    except SynapseError as exc:
        return _alerts(request, 422, exc.message)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/silences/{silence_id}/end", response_class=HTMLResponse)
async def end_silence(silence_id: int, request: Request) -> Response:
    session = signed_in_admin(request)
    await form_of(request, session)
    try:
        hub_of(request).silences.end(silence_id)
    except SynapseError as exc:
        return _alerts(request, 422, exc.message)
    return RedirectResponse("/alerts", status_code=303)


def _notifications(
    request: Request, status: int = 200, error: str | None = None, notice: str | None = None
) -> HTMLResponse:
    hub = hub_of(request)
    return render(
        request,
        "notifications.html",
        status,
        channels=hub.outbox.channels(),
        log=hub.outbox.recent(100),
        error=error,
        notice=notice,
    )


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(request: Request) -> Response:
    signed_in(request)
    return _notifications(request)


@router.post("/notifications/channels", response_class=HTMLResponse)
async def add_channel(request: Request) -> Response:
    session = signed_in_admin(request)
    form = await form_of(request, session)
    spec = {
        "name": form.get("name", "").strip(),
        "url": form.get("url", "").strip(),
        "severities": [s for s in form.get("severities", "").replace(",", " ").split() if s],
        "tags": [t for t in form.get("tags", "").replace(",", " ").split() if t],
    }
    try:
        hub_of(request).outbox.add_channel(spec)
    except SynapseError as exc:
        return _notifications(request, 422, error=exc.message)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/channels/{channel_id}/test", response_class=HTMLResponse)
async def test_channel(channel_id: int, request: Request) -> Response:
    session = signed_in_admin(request)
    await form_of(request, session)
    try:
        sent = hub_of(request).outbox.test_channel(channel_id)
    except SynapseError as exc:
        return _notifications(request, 422, error=exc.message)
    return _notifications(request, notice=f"Test notification #{sent.id} queued.")


@router.post("/notifications/channels/{channel_id}/delete", response_class=HTMLResponse)
async def remove_channel(channel_id: int, request: Request) -> Response:
    session = signed_in_admin(request)
    await form_of(request, session)
    try:
        hub_of(request).outbox.remove_channel(channel_id)
    except SynapseError as exc:
        return _notifications(request, 422, error=exc.message)
    return RedirectResponse("/notifications", status_code=303)


@router.get("/scheduler", response_class=HTMLResponse)
async def scheduler_page(request: Request) -> Response:
    signed_in(request)
    hub = hub_of(request)
    leases = hub.leases.status()
    return render(
        request,
        "scheduler.html",
        leases=leases,
        quiet=leases.get("quiet", {}),
        summary=hub.leases.summary(),
    )
