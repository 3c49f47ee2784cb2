"""Tables of the lease scheduler and the stats sampler. Transitions are rows; deadlines columns.

Kept apart from ``hub.models`` (imported there) so the scheduler's schema reads in one place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class LeaseRow(SQLModel, table=True):
    """One request and what became of it: queued → active → released | expired | revoked;
    or denied / cancelled. ``due_at`` is the next deadline (heartbeat or wait) and is indexed,
    so the expiry sweep is one query."""

    __tablename__ = "leases"
    __table_args__ = (
        Index("ix_leases_axon_key", "axon_id", "idempotency_key"),
        Index("ix_leases_state_due", "state", "due_at"),
    )

    lease_id: str = Field(primary_key=True, max_length=32)
    axon_id: str = Field(index=True, max_length=64)
    job_type: str = Field(max_length=64)
    cost_units: int
    priority: str = Field(max_length=8)  # LOW | NORMAL | HIGH
    constraints: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    expected_duration_sec: float | None = None
    idempotency_key: str | None = Field(default=None, max_length=128)
    #: queued | active | released | expired | revoked | denied | cancelled
    state: str = Field(max_length=16)
    reason: str = Field(default="", max_length=500)
    retry_after_sec: float | None = None
    via: str = Field(default="http", max_length=8)
    request_id: str | None = Field(default=None, max_length=64)
    requested_at: float
    granted_at: float | None = None
    last_heartbeat_at: float | None = None
    ended_at: float | None = None
    due_at: float | None = None
    progress: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class LeaseEventRow(SQLModel, table=True):
    """Every decision: grant, deny, queue, release, expire, revoke, cancel."""

    __tablename__ = "lease_events"
    __table_args__ = (Index("ix_lease_events_axon_at", "axon_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    lease_id: str = Field(index=True, max_length=32)
    axon_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    reason: str = Field(default="", max_length=500)
    quiet_level: str = Field(default="", max_length=8)
    quiet_score: float | None = None
    at: float


class SystemSampleRow(SQLModel, table=True):
    """One sample of one stats group (host, process, http, mqtt, quiet); ``step`` is the
    resolution in seconds: 0 for a raw sample, more for a downsampled average."""

    __tablename__ = "system_samples"
    __table_args__ = (Index("ix_system_samples_group_ts", "group", "step", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    group: str = Field(max_length=16)
    step: int = 0
    ts: float
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
