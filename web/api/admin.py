"""/api/v1/errors and /api/v1/tokens: what was rejected, and minting axon tokens."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hub.views import RejectionView
from web.deps import AdminDep, HubDep, ReaderDep

router = APIRouter(prefix="/api/v1", tags=["admin"])


class MintedToken(BaseModel):
    axon_id: str
    token: str
    note: str = "Shown once. Give it to the axon as SYNAPSE_TOKEN."


@router.get("/errors", dependencies=[ReaderDep])
async def errors(
    hub: HubDep,
    axon_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[RejectionView]:
    """Messages the hub refused, newest first, with the sentence the axon was told."""
    return hub.errors(axon_id, limit)


@router.post("/tokens/{axon_id}", status_code=201, dependencies=[AdminDep])
async def mint_token(axon_id: str, hub: HubDep) -> MintedToken:
    """A new token for an axon (replacing any earlier one); the axon is approved at first contact."""
    return MintedToken(axon_id=axon_id, token=hub.mint_axon_token(axon_id))
