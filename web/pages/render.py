"""Rendering pages: one Jinja2 environment (autoescape on, undefined names are errors), and the
checks every page makes (signed in? admin?) before it renders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hub.accounts import Session
from hub.errors import SynapseError
from hub.hub import Hub
from web.auth import accounts_of, check_csrf, current_session

TEMPLATES = Path(__file__).parent.parent / "templates"


class LoginRequired(SynapseError):
    """Raised by a page for a visitor who is not signed in; answered with a redirect."""

    code = "login_required"


class PageForbidden(SynapseError):
    """A signed-in viewer asked for an admin page; answered with a 403 page."""

    code = "forbidden"


def _when(ts: float | None) -> str:
    if not ts:
        return "never"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(ts: float | None) -> str:
    if not ts:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def _json_script(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: <, > and & cannot close it."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704  (escaped above; the block is data, never executed)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["iso"] = _iso
    env.filters["json_script"] = _json_script
    return env


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.pages_env
    session = current_session(request)
    html = env.get_template(template).render(
        request=request,
        session=session,
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def signed_in(request: Request) -> Session:
    session = current_session(request)
    if session is None:
        raise LoginRequired("sign in to see this page")
    return session


def signed_in_admin(request: Request) -> Session:
    session = signed_in(request)
    if not session.user.is_admin:
        raise PageForbidden(f"{session.user.username} is a viewer; this page needs an admin")
    return session


async def form_of(request: Request, session: Session | None) -> dict[str, str]:
    """A submitted form's text fields, CSRF-checked when the visitor is signed in."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if session is not None:
        check_csrf(request, session, fields.get("csrf", ""))
    return fields


def to_login(request: Request) -> RedirectResponse:
    target = "/setup" if accounts_of(request).needs_setup() else "/login"
    return RedirectResponse(target, status_code=303)
