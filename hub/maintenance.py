"""Maintenance windows: an axon (or a person) switches the axon's alerts off for a while.

An axon announces its own window over MQTT (``synapse/maintenance/{id}`` with
``{"duration": 600, "reason": "backup"}``, or ``{"end": true}``) or over HTTP with its token, so
a backup job can switch its alerts off and on. While a window is open the dispatcher holds the
axon's notifications back and liveness does not mark it offline for silence; when the window
ends (early, or at its end in ``step()``) the axon gets a full TTL from that moment, so there is
no false offline right after.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from hub.alert_models import MaintenanceRow
from hub.clock import Clock
from hub.errors import ValidationError
from hub.liveness import Liveness
from hub.ports import Inbound
from hub.registry import AxonState, Registry
from hub.storage import Storage
from hub.topics import ParsedTopic
from hub.values import decode_json

MAX_WINDOW = 7 * 24 * 3600.0


class MaintenanceView(BaseModel):
    id: int
    axon_id: str
    starts_at: float
    ends_at: float
    reason: str
    source: str
    closed_at: float | None
    active: bool


def parse_request(data: Any) -> tuple[float | None, str]:
    """``{"duration": s, "reason": …}`` → (duration, reason); ``{"end": true}`` → (None, "")."""
    if not isinstance(data, dict):
        raise ValidationError("maintenance must be a JSON object")
    unknown = set(data) - {"duration", "reason", "end"}
    if unknown:
        raise ValidationError(f"maintenance has no field {sorted(unknown)[0][:40]!r}")
    if data.get("end") is True:
        return None, ""
    if "end" in data:
        raise ValidationError("end must be true")
    duration = data.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise ValidationError("maintenance needs a duration in seconds, or end: true")
    if not 0 < duration <= MAX_WINDOW:
        raise ValidationError(f"duration must be between 0 and {MAX_WINDOW:.0f} seconds")
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 200:
        raise ValidationError("reason must be a string of at most 200 characters")
    return float(duration), reason


class Maintenance:
    def __init__(
        self, storage: Storage, registry: Registry, liveness: Liveness, clock: Clock
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._liveness = liveness
        self._clock = clock
        self._open: dict[str, MaintenanceRow] = {}

    def load(self) -> None:
        with self._storage.session() as session:
            rows = session.exec(
                select(MaintenanceRow).where(col(MaintenanceRow.closed_at).is_(None))
            ).all()
        self._open = {row.axon_id: row for row in rows}

    def active(self, axon_id: str, now: float) -> bool:
        row = self._open.get(axon_id)
        return row is not None and row.starts_at <= now < row.ends_at

    def holds(self, axon_id: str, now: float) -> bool:
        """For liveness: an axon in maintenance is not marked offline for being silent."""
        return axon_id in self._open and self.active(axon_id, now)

    def request(self, axon_id: str, data: Any, source: str) -> MaintenanceView:
        """Start (or extend) or end a window from a parsed request body."""
        duration, reason = parse_request(data)
        if duration is None:
            return self.end(axon_id)
        return self.begin(axon_id, duration, reason, source)

    def begin(self, axon_id: str, duration: float, reason: str, source: str) -> MaintenanceView:
        self._registry.require(axon_id)
        now = self._clock.now()
        with self._storage.session() as session:
            row = self._open.get(axon_id)
            if row is not None:  # a new announcement replaces the open window's end
                row = session.get(MaintenanceRow, row.id) or row
                row.ends_at = now + duration
                row.reason = reason or row.reason
            else:
                row = MaintenanceRow(
                    axon_id=axon_id,
                    starts_at=now,
                    ends_at=now + duration,
                    reason=reason,
                    source=source,
                )
            session.add(row)
        self._open[axon_id] = row
        return self._view(row, now)

    def end(self, axon_id: str) -> MaintenanceView:
        now = self._clock.now()
        row = self._open.get(axon_id)
        if row is None:
            raise ValidationError(f"axon {axon_id!r} is not in maintenance")
        return self._view(self._close(row, now), now)

    def step(self) -> bool:
        """Close every window past its end and give its axon a fresh TTL. True if any."""
        now = self._clock.now()
        due = [row for row in self._open.values() if row.ends_at <= now]
        for row in due:
            self._close(row, now)
        return bool(due)

    def on_mqtt(self, state: AxonState, _parsed: ParsedTopic, message: Inbound) -> None:
        """The ingest handler for ``synapse/maintenance/{id}``."""
        data = decode_json(message.payload, what="the maintenance message")
        self.request(state.id, data, message.via)

    def windows(self, axon_id: str | None = None, limit: int = 100) -> list[MaintenanceView]:
        now = self._clock.now()
        query = select(MaintenanceRow).order_by(col(MaintenanceRow.id).desc()).limit(limit)
        if axon_id is not None:
            query = query.where(MaintenanceRow.axon_id == axon_id)
        with self._storage.session() as session:
            return [self._view(r, now) for r in session.exec(query)]

    def _close(self, row: MaintenanceRow, now: float) -> MaintenanceRow:
        with self._storage.session() as session:
            stored = session.get(MaintenanceRow, row.id) or row
            stored.closed_at = now
            stored.ends_at = min(stored.ends_at, now)
            session.add(stored)
        self._open.pop(row.axon_id, None)
        state = self._registry.get(row.axon_id)
        if state is not None:
            self._liveness.restart_ttl(state, now)
        return stored

    @staticmethod
    def _view(row: MaintenanceRow, now: float) -> MaintenanceView:
        data = row.model_dump()
        data["active"] = row.closed_at is None and row.starts_at <= now < row.ends_at
        return MaintenanceView.model_validate(data)
