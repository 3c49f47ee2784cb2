"""Silences: a person's "not now" for alerts that match (axon, widget, severity) over a time range.

Matchers are shell globs (``nas-*``); an empty matcher matches anything. A silence does not stop
monitors from evaluating or alerts from being stored: the dispatcher holds back the notification
and records why ("silence #3"). A still-firing alert is notified once its silence ends.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import col, select

from hub.alert_models import SilenceRow
from hub.clock import Clock
from hub.errors import ConflictError, NotFoundError
from hub.schema import parse_model
from hub.storage import Storage

MAX_SILENCE = 366 * 24 * 3600.0
Matcher = str


class SilenceCreate(BaseModel):
    """What a person sends to create a silence: matchers, a range (or a duration), a comment."""

    model_config = ConfigDict(extra="forbid")

    axon: Matcher = Field("", max_length=64, pattern=r"^[a-z0-9_.*?\[\]-]*$")
    widget: Matcher = Field("", max_length=64, pattern=r"^[a-z0-9_.*?\[\]-]*$")
    severity: Literal["", "info", "warning", "error", "critical"] = ""
    starts_at: float | None = None
    ends_at: float | None = None
    duration: float | None = Field(None, gt=0, le=MAX_SILENCE)
    comment: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _a_range(self) -> SilenceCreate:
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        return self


class SilenceView(BaseModel):
    id: int
    axon: str
    widget: str
    severity: str
    starts_at: float
    ends_at: float
    comment: str
    created_by: str
    created_at: float
    active: bool


class Silences:
    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock
        self._current: list[SilenceRow] = []

    def load(self) -> None:
        now = self._clock.now()
        with self._storage.session() as session:
            self._current = list(session.exec(select(SilenceRow).where(SilenceRow.ends_at > now)))

    def create(self, data: object, created_by: str) -> SilenceView:
        spec = parse_model(SilenceCreate, data, what="the silence")
        now = self._clock.now()
        starts = spec.starts_at if spec.starts_at is not None else now
        ends = spec.ends_at if spec.ends_at is not None else starts + (spec.duration or 0)
        if ends <= max(starts, now):
            raise ConflictError("the silence would end before it starts or in the past")
        if ends - starts > MAX_SILENCE:
            raise ConflictError("a silence may last at most a year")
        row = SilenceRow(
            axon=spec.axon,
            widget=spec.widget,
            severity=spec.severity,
            starts_at=starts,
            ends_at=ends,
            comment=spec.comment,
            created_by=created_by[:64],
            created_at=now,
        )
        with self._storage.session() as session:
            session.add(row)
        self._current.append(row)
        return self._view(row, now)

    def end(self, silence_id: int) -> SilenceView:
        """End a silence now (a conditional update: one already over stays as it was)."""
        now = self._clock.now()
        with self._storage.session() as session:
            row = session.get(SilenceRow, silence_id)
            if row is None:
                raise NotFoundError(f"there is no silence {silence_id}")
            if row.ends_at > now:
                row.ends_at = now
                session.add(row)
        self._current = [s for s in self._current if s.id != silence_id]
        return self._view(row, now)

    def list(self, include_ended: bool = False, limit: int = 200) -> list[SilenceView]:
        now = self._clock.now()
        query = select(SilenceRow).order_by(col(SilenceRow.id).desc()).limit(limit)
        if not include_ended:
            query = query.where(SilenceRow.ends_at > now)
        with self._storage.session() as session:
            return [self._view(r, now) for r in session.exec(query)]

    def match(self, axon_id: str, widget_id: str, severity: str, now: float) -> SilenceRow | None:
        """The first silence in force now that matches, if any."""
        for s in self._current:
            if not s.starts_at <= now < s.ends_at:
                continue
            if s.severity and s.severity != severity:
                continue
            if s.axon and not fnmatchcase(axon_id, s.axon):
                continue
            if s.widget and not fnmatchcase(widget_id, s.widget):
                continue
            return s
        self._current = [s for s in self._current if s.ends_at > now]
        return None

    @staticmethod
    def _view(row: SilenceRow, now: float) -> SilenceView:
        data = row.model_dump()
        data["active"] = row.starts_at <= now < row.ends_at
        return SilenceView.model_validate(data)
