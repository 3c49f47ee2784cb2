"""/sdk/: the axon SDK as a wheel, so an axon machine needs no other package index.

pip install http://hub:8080/sdk/synapse_axon_sdk-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from hub.errors import NotFoundError
from hub.sdk_dist import build_wheel

router = APIRouter(prefix="/sdk", tags=["sdk"])


@lru_cache(maxsize=1)
def _wheel() -> tuple[str, bytes]:
    return build_wheel()


@router.get("/", response_class=HTMLResponse)
async def index() -> str:
    """A PEP 503-style page: ``pip install --find-links http://hub:8080/sdk/ synapse-axon-sdk``."""
    name, _ = _wheel()
    return f'<!doctype html><title>Synapse SDK</title><a href="{name}">{name}</a>\n'


@router.get("/{filename}")
async def wheel(filename: str) -> Response:
    name, data = _wheel()
    if filename != name:
        raise NotFoundError(f"there is no {filename[:80]!r} here; the SDK is {name}")
    return Response(data, media_type="application/octet-stream")
