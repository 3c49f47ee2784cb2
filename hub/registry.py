"""The axons the hub knows: their working state in memory, written through to storage.

Reports touch only memory (and the batched history); registrations, overrides and approvals are
rare and written at once. The registry never decides liveness (``hub.liveness``) nor parses
payloads (``hub.schema``, ``hub.values``): it holds state and keeps the effective view current.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from hub.clock import Clock
from hub.errors import NotFoundError, ValidationError
from hub.merge import Effective, apply_patch, merge, reset
from hub.models import AxonRow, SnapshotRow, TransitionRow
from hub.schema import Registration
from hub.storage import Storage
from hub.values import Scalar

DEFAULT_TTL = 60


@dataclass
class AxonState:
    id: str
    approval: str = "pending"  # pending | approved | rejected
    status: str = "unknown"  # unknown | online | offline
    status_since: float = 0.0
    first_seen_at: float = 0.0
    last_seen_at: float | None = None
    definition: dict[str, Any] | None = None
    definition_hash: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    effective: Effective | None = None
    values: dict[str, Scalar] = field(default_factory=dict)
    value_at: dict[str, float] = field(default_factory=dict)
    unknown_widgets: set[str] = field(default_factory=set)
    #: the last rejected registration's sentence, shown until a good one arrives
    last_error: str | None = None

    @property
    def ttl(self) -> int:
        if self.effective is not None:
            return self.effective.axon.ttl
        return int(self.overrides.get("ttl", DEFAULT_TTL))

    @property
    def widget_ids(self) -> frozenset[str]:
        if self.definition is None:
            return frozenset()
        return frozenset(w["id"] for w in self.definition.get("widgets", []))

    def refresh_effective(self) -> None:
        self.effective = merge(self.definition, self.overrides) if self.definition else None


def content_hash(definition: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a definition: same content, same hash."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Registry:
    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock
        self._axons: dict[str, AxonState] = {}

    def load(self) -> None:
        """Bring every axon back from storage (at hub start)."""
        with self._storage.session() as session:
            rows = session.exec(select(AxonRow)).all()
        self._axons = {row.id: self._from_row(row) for row in rows}

    def all(self) -> list[AxonState]:
        return sorted(self._axons.values(), key=lambda a: a.id)

    def get(self, axon_id: str) -> AxonState | None:
        state = self._axons.get(axon_id)
        if state is None:
            # created outside this process's memory: by a first-contact claim or the CLI
            with self._storage.session() as session:
                row = session.get(AxonRow, axon_id)
            if row is not None:
                state = self._axons[axon_id] = self._from_row(row)
        return state

    def require(self, axon_id: str) -> AxonState:
        state = self.get(axon_id)
        if state is None:
            raise NotFoundError(f"there is no axon {axon_id!r}")
        return state

    def ensure(self, axon_id: str, *, approval: str) -> AxonState:
        """The axon's state, created (and stored) on first contact."""
        state = self.get(axon_id)
        if state is not None:
            return state
        now = self._clock.now()
        state = AxonState(id=axon_id, approval=approval, first_seen_at=now, status_since=now)
        with self._storage.session() as session:
            session.add(AxonRow(id=axon_id, approval=approval, first_seen_at=now, status_since=now))
        self._axons[axon_id] = state
        return state

    def register(self, state: AxonState, registration: Registration, raw: dict[str, Any]) -> bool:
        """Make ``registration`` the axon's definition; keep a snapshot. True if it changed."""
        definition = registration.definition()
        digest = content_hash(definition)
        state.last_error = None
        if digest == state.definition_hash:
            return False
        now = self._clock.now()
        snapshot = {k: v for k, v in raw.items() if k != "auth_token"}
        with self._storage.session() as session:
            exists = session.exec(
                select(SnapshotRow.id).where(
                    SnapshotRow.axon_id == state.id, SnapshotRow.content_hash == digest
                )
            ).first()
            if exists is None:
                session.add(
                    SnapshotRow(
                        axon_id=state.id, content_hash=digest, payload=snapshot, received_at=now
                    )
                )
            row = session.get(AxonRow, state.id) or AxonRow(id=state.id, first_seen_at=now)
            row.definition = definition
            row.definition_hash = digest
            session.add(row)
        state.definition = definition
        state.definition_hash = digest
        state.unknown_widgets -= state.widget_ids
        state.refresh_effective()
        return True

    def patch_overrides(self, axon_id: str, patch: Any) -> AxonState:
        state = self.require(axon_id)
        overrides = apply_patch(state.overrides, patch)
        self._check_against_definition(state, overrides)
        return self._store_overrides(state, overrides)

    def reset_override(self, axon_id: str, path: str) -> AxonState:
        state = self.require(axon_id)
        return self._store_overrides(state, reset(state.overrides, path))

    def set_approval(self, axon_id: str, approval: str, reason: str) -> AxonState:
        state = self.require(axon_id)
        if state.approval == approval:
            return state
        now = self._clock.now()
        with self._storage.session() as session:
            row = session.get(AxonRow, axon_id)
            if row is None:
                raise NotFoundError(f"there is no axon {axon_id!r}")
            row.approval = approval
            session.add(row)
            session.add(
                TransitionRow(
                    axon_id=axon_id,
                    kind="approval",
                    from_state=state.approval,
                    to_state=approval,
                    reason=reason[:200],
                    at=now,
                )
            )
        state.approval = approval
        return state

    def snapshots(self, axon_id: str, limit: int = 50) -> list[SnapshotRow]:
        with self._storage.session() as session:
            return list(
                session.exec(
                    select(SnapshotRow)
                    .where(SnapshotRow.axon_id == axon_id)
                    .order_by(col(SnapshotRow.id).desc())
                    .limit(limit)
                ).all()
            )

    def transitions(self, axon_id: str, limit: int = 50) -> list[TransitionRow]:
        with self._storage.session() as session:
            return list(
                session.exec(
                    select(TransitionRow)
                    .where(TransitionRow.axon_id == axon_id)
                    .order_by(col(TransitionRow.id).desc())
                    .limit(limit)
                ).all()
            )

    def _store_overrides(self, state: AxonState, overrides: dict[str, Any]) -> AxonState:
        with self._storage.session() as session:
            row = session.get(AxonRow, state.id)
            if row is None:
                raise NotFoundError(f"there is no axon {state.id!r}")
            row.overrides = overrides
            session.add(row)
        state.overrides = overrides
        state.refresh_effective()
        return state

    @staticmethod
    def _check_against_definition(state: AxonState, overrides: dict[str, Any]) -> None:
        """Refuse an override that would make the effective view invalid (e.g. a bad monitor)."""
        if state.definition is None:
            return
        try:
            merge(state.definition, overrides)
        except Exception as exc:  # pydantic re-validation of the merged view
            raise ValidationError(f"the overrides do not fit this axon: {exc}") from None

    @staticmethod
    def _from_row(row: AxonRow) -> AxonState:
        state = AxonState(
            id=row.id,
            approval=row.approval,
            status=row.status,
            status_since=row.status_since,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            definition=row.definition,
            definition_hash=row.definition_hash,
            overrides=dict(row.overrides or {}),
        )
        state.refresh_effective()
        return state


__all__ = ["AxonState", "Registry", "content_hash"]
