"""The dashboard's pages: overview, one axon, errors, and settings (tokens and users)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.errors import SynapseError
from web.auth import accounts_of
from web.pages.cards import card, card_view, grouped, widget_list
from web.pages.docs import render_docs
from web.pages.render import form_of, hub_of, render, signed_in, signed_in_admin

router = APIRouter(include_in_schema=False)

RANGES = [("1h", 3600), ("6h", 6 * 3600), ("24h", 86400), ("7d", 7 * 86400)]


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> Response:
    signed_in(request)
    hub = hub_of(request)
    cards = [card(s) for s in hub.registry.all()]
    approved = [c for c in cards if c["approval"] == "approved"]
    pending = [c for c in cards if c["approval"] == "pending"]
    counts = {k: sum(1 for c in approved if c["status"] == k) for k in ("online", "offline")}
    firing: dict[str, int] = {}
    for alert in hub.alerts.list(None, "firing", 1000):
        firing[alert.axon_id] = firing.get(alert.axon_id, 0) + 1
    return render(
        request,
        "overview.html",
        groups=[
            (name, [card_view(c, firing.get(c["id"], 0)) for c in group])
            for name, group in grouped(approved)
        ],
        pending=[card_view(c) for c in pending],
        firing=sum(firing.values()),
        quiet=hub.system.current().get("quiet") or {},
        counts=counts,
        total=len(approved),
        now=hub.clock.now(),
    )


@router.get("/axons/{axon_id}", response_class=HTMLResponse)
async def axon_page(axon_id: str, request: Request) -> Response:
    signed_in(request)
    hub = hub_of(request)
    try:
        detail = hub.axon(axon_id)
    except SynapseError as exc:
        return render(request, "message.html", 404, title="Not found", message=exc.message)
    state = hub.registry.require(axon_id)
    definition = detail.definition or {}
    effective = detail.effective or {}
    commands = hub.commands.recent(axon_id, 20)
    return render(
        request,
        "axon.html",
        axon=detail,
        widgets=widget_list(state),
        actions=effective.get("actions", []),
        docs=render_docs(str(effective.get("docs", ""))),
        definition=definition,
        editor=_editor(definition, detail.overrides, detail.orphaned_overrides),
        commands=commands,
        ranges=RANGES,
        now=hub.clock.now(),
        page_data={
            "id": axon_id,
            "now": hub.clock.now(),
            "widgets": widget_list(state),
            "values": detail.values,
            "value_at": detail.value_at,
        },
    )


def _editor(
    definition: dict[str, Any], overrides: dict[str, Any], orphaned: list[str]
) -> dict[str, Any]:
    """Each policy field with the axon's default beside the override (if any)."""

    def row(
        path: str, label: str, default: Any, override: Any, kind: str = "text"
    ) -> dict[str, Any]:
        if isinstance(default, list):
            default = ", ".join(str(x) for x in default)
        if isinstance(override, list):
            override = ", ".join(str(x) for x in override)
        return {
            "path": path,
            "label": label,
            "default": "" if default is None else str(default),
            "override": None if override is None else str(override),
            "kind": kind,
        }

    axon_rows = [
        row("name", "Name", definition.get("name", ""), overrides.get("name")),
        row("icon", "Icon", definition.get("icon", ""), overrides.get("icon")),
        row("ttl", "TTL (seconds)", definition.get("ttl", 60), overrides.get("ttl"), "number"),
        row(
            "tags",
            "Tags (comma-separated)",
            definition.get("tags", []),
            overrides.get("tags"),
            "list",
        ),
        row("parent", "Parent axon", definition.get("parent") or "", overrides.get("parent")),
        row("docs", "Docs (markdown)", definition.get("docs", ""), overrides.get("docs"), "long"),
    ]
    widget_rows = []
    for w in definition.get("widgets", []):
        o = overrides.get("widgets", {}).get(w["id"], {})
        widget_rows.append(
            {
                "id": w["id"],
                "type": w.get("type", ""),
                "fields": [
                    row(f"widgets.{w['id']}.label", "Label", w.get("label", ""), o.get("label")),
                    row(f"widgets.{w['id']}.unit", "Unit", w.get("unit", ""), o.get("unit")),
                ],
            }
        )
    action_rows = []
    for a in definition.get("actions", []):
        o = overrides.get("actions", {}).get(a["id"], {})
        action_rows.append(
            {
                "id": a["id"],
                "type": a.get("style", "default"),
                "fields": [
                    row(f"actions.{a['id']}.label", "Label", a.get("label", ""), o.get("label")),
                    row(
                        f"actions.{a['id']}.description",
                        "Description",
                        a.get("description", ""),
                        o.get("description"),
                    ),
                ],
            }
        )
    return {"axon": axon_rows, "widgets": widget_rows, "actions": action_rows, "orphaned": orphaned}


@router.get("/errors", response_class=HTMLResponse)
async def errors_page(request: Request) -> Response:
    signed_in(request)
    return render(request, "errors.html", errors=hub_of(request).errors(limit=200))


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request) -> Response:
    signed_in_admin(request)
    return _settings(request)


def _settings(request: Request, status: int = 200, **shown: Any) -> HTMLResponse:
    hub = hub_of(request)
    return render(
        request,
        "settings.html",
        status,
        axons=[s.id for s in hub.registry.all()],
        users=accounts_of(request).users(),
        minted=shown.get("minted"),
        error=shown.get("error"),
        notice=shown.get("notice"),
    )


@router.post("/settings/tokens", response_class=HTMLResponse)
async def mint_token(request: Request) -> Response:
    session = signed_in_admin(request)
    form = await form_of(request, session)
    axon_id = form.get("axon_id", "").strip()
    try:
        token = hub_of(request).mint_axon_token(axon_id)
    except SynapseError as exc:
        return _settings(request, 422, error=exc.message)
    minted = {"what": f"Token for axon {axon_id}", "value": token, "env": "SYNAPSE_TOKEN"}
    return _settings(request, minted=minted)


@router.post("/settings/tokens/revoke", response_class=HTMLResponse)
async def revoke_token(request: Request) -> Response:
    session = signed_in_admin(request)
    form = await form_of(request, session)
    axon_id = form.get("axon_id", "").strip()
    try:
        hub_of(request).credentials.revoke_axon_token(axon_id)
    except SynapseError as exc:
        return _settings(request, 422, error=exc.message)
    return _settings(request, notice=f"The token of {axon_id} is revoked.")


@router.post("/settings/apikeys", response_class=HTMLResponse)
async def mint_api_key(request: Request) -> Response:
    session = signed_in_admin(request)
    form = await form_of(request, session)
    name, role = form.get("name", "").strip() or "dashboard", form.get("role", "viewer")
    try:
        key = hub_of(request).mint_api_key(name, role)
    except SynapseError as exc:
        return _settings(request, 422, error=exc.message)
    minted = {"what": f"API key {name} ({role})", "value": key, "env": "SYNAPSE_API_KEY"}
    return _settings(request, minted=minted)


@router.post("/settings/users", response_class=HTMLResponse)
async def create_user(request: Request) -> Response:
    session = signed_in_admin(request)
    form = await form_of(request, session)
    try:
        await asyncio.to_thread(
            accounts_of(request).create_user,
            form.get("username", ""),
            form.get("password", ""),
            form.get("role", "viewer"),
        )
    except SynapseError as exc:
        return _settings(request, 422, error=exc.message)
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/users/{user_id}/delete", response_class=HTMLResponse)
async def delete_user(user_id: int, request: Request) -> Response:
    session = signed_in_admin(request)
    await form_of(request, session)
    if user_id == session.user.id:
        return _settings(request, 422, error="you cannot delete your own account")
    try:
        accounts_of(request).delete_user(user_id)
    except SynapseError as exc:
        return _settings(request, 422, error=exc.message)
    return RedirectResponse("/settings", status_code=303)
