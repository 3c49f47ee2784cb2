"""First-run setup, sign-in, sign-out and password change."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.errors import SynapseError
from web.auth import (
    LoginThrottle,
    accounts_of,
    check_csrf,
    clear_session_cookie,
    client_address,
    current_session,
    same_origin,
    set_session_cookie,
)
from web.pages.render import form_of, render, signed_in

router = APIRouter(include_in_schema=False)


def _throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


@router.get("/setup", response_class=HTMLResponse)
async def setup_form(request: Request) -> Response:
    if not accounts_of(request).needs_setup():
        return RedirectResponse("/login", status_code=303)
    return render(request, "setup.html", error=None, username="admin")


@router.post("/setup", response_class=HTMLResponse)
async def setup(request: Request) -> Response:
    accounts = accounts_of(request)
    if not accounts.needs_setup():
        return RedirectResponse("/login", status_code=303)
    if not same_origin(request):
        return render(request, "setup.html", 403, error="cross-site request refused", username="")
    form = await form_of(request, None)
    username, password = form.get("username", ""), form.get("password", "")
    if password != form.get("confirm", ""):
        return render(request, "setup.html", 422, error="the passwords differ", username=username)
    try:
        user = await asyncio.to_thread(accounts.create_first_admin, username, password)
    except SynapseError as exc:
        return render(request, "setup.html", 422, error=exc.message, username=username)
    session = accounts.start_session(user, client_address(request))
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, session)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if accounts_of(request).needs_setup():
        return RedirectResponse("/setup", status_code=303)
    if current_session(request) is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", error=None, username="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    accounts = accounts_of(request)
    if not same_origin(request):
        return render(request, "login.html", 403, error="cross-site request refused", username="")
    form = await form_of(request, None)
    username, password = form.get("username", "")[:64], form.get("password", "")
    address = client_address(request)
    throttle = _throttle(request)
    wait = throttle.retry_after(username, address)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        error = f"too many failed sign-ins; try again in about {minutes} minute(s)"
        response = render(request, "login.html", 429, error=error, username=username)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = await asyncio.to_thread(accounts.authenticate, username, password)
    if user is None:
        throttle.failed(username, address)
        error = "that username and password do not match"
        return render(request, "login.html", 401, error=error, username=username)
    throttle.succeeded(username)
    old = request.cookies.get("synapse_session")
    if old:
        accounts.end_session(old)  # never reuse a session id across a sign-in
    session = accounts.start_session(user, address)
    done = RedirectResponse("/", status_code=303)
    set_session_cookie(request, done, session)
    return done


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = current_session(request)
    response = RedirectResponse("/login", status_code=303)
    if session is not None:
        form = await form_of(request, session)
        check_csrf(request, session, form.get("csrf", ""))
        accounts_of(request).end_session(session.token)
    clear_session_cookie(response)
    return response


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request) -> Response:
    signed_in(request)
    return render(request, "account.html", error=None, done=False)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request) -> Response:
    session = signed_in(request)
    form = await form_of(request, session)
    new = form.get("new", "")
    if new != form.get("confirm", ""):
        return render(request, "account.html", 422, error="the new passwords differ", done=False)
    try:
        await asyncio.to_thread(
            accounts_of(request).change_password, session.token, form.get("old", ""), new
        )
    except SynapseError as exc:
        return render(request, "account.html", 422, error=exc.message, done=False)
    return render(request, "account.html", error=None, done=True)
