"""Request dependencies: the hub from app state, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.errors import AuthError, ValidationError
from hub.hub import Hub

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


def require_admin(request: Request, hub: HubDep) -> None:
    if not hub.credentials.check_api_key(bearer(request)):
        raise AuthError("the API key is not valid")


AdminDep = Depends(require_admin)


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
