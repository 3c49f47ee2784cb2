"""/api/v1/axons/{id}/recovery-kit: the axon regenerated from a stored snapshot (docs/recovery.md)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response

from web.deps import HubDep, ReaderDep

router = APIRouter(prefix="/api/v1/axons", tags=["recovery"])

SnapshotQuery = Query(None, description="a snapshot id; default: the definition in force")


@router.get("/{axon_id}/recovery-kit", dependencies=[ReaderDep])
async def recovery_kit(
    axon_id: str, request: Request, hub: HubDep, snapshot: int | None = SnapshotQuery
) -> Response:
    """The kit as a zip: script, SDK copy, README, requirements, systemd unit, shell variant."""
    kit = hub.recovery_kit(axon_id, snapshot, host=request.url.hostname or "localhost")
    return Response(
        kit.zip(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{kit.filename}"',
            "X-Synapse-Kit-Exact": "yes" if kit.blueprint.exact else "no",
        },
    )


@router.get("/{axon_id}/recovery-kit/script", dependencies=[ReaderDep])
async def recovery_script(
    axon_id: str,
    request: Request,
    hub: HubDep,
    snapshot: int | None = SnapshotQuery,
    variant: Literal["python", "shell"] = Query("python", description="axon.py or reporter.sh"),
) -> Response:
    """The kit's script alone, as text: ``axon.py`` (SDK) or ``reporter.sh`` (shell)."""
    kit = hub.recovery_kit(axon_id, snapshot, host=request.url.hostname or "localhost")
    if variant == "shell":
        return Response(kit.files["reporter.sh"], media_type="text/x-shellscript; charset=utf-8")
    return Response(kit.script, media_type="text/x-python; charset=utf-8")
