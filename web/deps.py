"""Request dependencies: the hub from app state, and who is calling with which role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.credentials import Caller
from hub.errors import AuthError, ForbiddenError, ValidationError
from hub.hub import Hub
from web import auth

MAX_BODY = 256 * 1024


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("send an API key as 'Authorization: Bearer <key>'")
    return value.strip()


def reader(request: Request, hub: HubDep) -> Caller:
    """Any valid API key: viewers and admins may read."""
    if "authorization" not in request.headers:  # no key: a signed-in dashboard session?
        session_user = auth.session_caller(request)  # CSRF-checked when it changes anything
        if session_user is not None:
            return session_user
    caller = hub.credentials.check_api_key(bearer(request))
    if caller is None:
        raise AuthError("the API key is not valid")
    return caller


def admin(caller: Annotated[Caller, Depends(reader)]) -> Caller:
    """Only admins may change anything or run actions."""
    if not caller.is_admin:
        raise ForbiddenError(f"{caller.name} is a {caller.role}; this needs an admin")
    return caller


ReaderDep = Depends(reader)
AdminDep = Depends(admin)
AdminCaller = Annotated[Caller, Depends(admin)]


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refused once it passes ``limit`` bytes (never buffered past it)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValidationError(f"the request body is too large (max {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)
