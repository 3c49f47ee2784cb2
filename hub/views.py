"""What the hub shows about an axon: one model per purpose, never a token or a hash of one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hub.models import RejectionRow, SnapshotRow, TransitionRow
from hub.registry import AxonState
from hub.values import Scalar


class TransitionView(BaseModel):
    kind: str
    from_state: str
    to_state: str
    reason: str
    at: float


class SnapshotView(BaseModel):
    id: int
    content_hash: str
    received_at: float


class RejectionView(BaseModel):
    id: int
    axon_id: str
    topic: str
    error: str
    excerpt: str
    at: float


class AxonSummary(BaseModel):
    id: str
    name: str
    approval: str
    status: str
    status_since: float
    last_seen_at: float | None
    ttl: int
    tags: list[str]
    parent: str | None
    values: dict[str, Scalar]
    unknown_widgets: list[str]
    last_error: str | None


class AxonDetail(AxonSummary):
    definition: dict[str, Any] | None
    overrides: dict[str, Any]
    effective: dict[str, Any] | None
    orphaned_overrides: list[str]
    value_at: dict[str, float]
    transitions: list[TransitionView]
    snapshots: list[SnapshotView]


def summary(state: AxonState) -> AxonSummary:
    eff = state.effective.axon if state.effective else None
    return AxonSummary(
        id=state.id,
        name=(eff.name if eff else state.overrides.get("name", "")) or state.id,
        approval=state.approval,
        status=state.status,
        status_since=state.status_since,
        last_seen_at=state.last_seen_at,
        ttl=state.ttl,
        tags=list(eff.tags) if eff else list(state.overrides.get("tags", [])),
        parent=eff.parent if eff else state.overrides.get("parent"),
        values=dict(state.values),
        unknown_widgets=sorted(state.unknown_widgets),
        last_error=state.last_error,
    )


def detail(
    state: AxonState, transitions: list[TransitionRow], snapshots: list[SnapshotRow]
) -> AxonDetail:
    base = summary(state).model_dump()
    return AxonDetail(
        **base,
        definition=state.definition,
        overrides=state.overrides,
        effective=state.effective.axon.definition() if state.effective else None,
        orphaned_overrides=state.effective.orphaned if state.effective else [],
        value_at=dict(state.value_at),
        transitions=[TransitionView.model_validate(t, from_attributes=True) for t in transitions],
        snapshots=[
            SnapshotView(id=s.id or 0, content_hash=s.content_hash, received_at=s.received_at)
            for s in snapshots
        ],
    )


def rejection(row: RejectionRow) -> RejectionView:
    return RejectionView.model_validate(row, from_attributes=True)
