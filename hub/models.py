"""Database tables. Transitions are rows; deadlines are columns.

The hub keeps the working state of every axon in memory (see ``hub.registry``) and writes through
to these tables: registrations and transitions at once, reported values in batches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class AxonRow(SQLModel, table=True):
    __tablename__ = "axons"

    id: str = Field(primary_key=True, max_length=64)
    approval: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    status: str = Field(default="unknown", max_length=16)  # unknown | online | offline
    status_since: float = 0.0
    first_seen_at: float = 0.0
    last_seen_at: float | None = None
    #: when the axon turns offline unless it reports again (last_seen + effective TTL)
    offline_due_at: float | None = Field(default=None, index=True)
    #: the last good registration (without its token), the definition layer
    definition: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    definition_hash: str | None = None
    #: the user's policy edits, laid over the definition
    overrides: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class CredentialRow(SQLModel, table=True):
    """An axon's token, stored only as a keyed hash."""

    __tablename__ = "credentials"

    axon_id: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=128)
    #: "cli" (minted with `synapse token create`: approved at first contact) or "claim"
    origin: str = Field(max_length=16)
    created_at: float


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    role: str = Field(default="admin", max_length=16)  # admin | viewer
    key_hash: str = Field(index=True, unique=True, max_length=128)
    created_at: float
    last_used_at: float | None = None


class SnapshotRow(SQLModel, table=True):
    """Every accepted registration, raw; identical re-registrations add no rows."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("axon_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    axon_id: str = Field(index=True, max_length=64)
    content_hash: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON))
    received_at: float


class TransitionRow(SQLModel, table=True):
    """A change of liveness or approval: from, to, why, when."""

    __tablename__ = "transitions"
    __table_args__ = (Index("ix_transitions_axon_at", "axon_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    axon_id: str = Field(max_length=64)
    kind: str = Field(default="status", max_length=16)  # status | approval
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    reason: str = Field(max_length=200)
    at: float


class SampleRow(SQLModel, table=True):
    """One reported value. Written in batches."""

    __tablename__ = "samples"
    __table_args__ = (Index("ix_samples_axon_widget_ts", "axon_id", "widget_id", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    axon_id: str = Field(max_length=64)
    widget_id: str = Field(max_length=64)
    ts: float
    num: float | None = None
    text: str | None = None


class RejectionRow(SQLModel, table=True):
    """A message the hub refused, with the sentence the axon was told."""

    __tablename__ = "rejections"
    __table_args__ = (Index("ix_rejections_axon_at", "axon_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    axon_id: str = Field(max_length=64)
    topic: str = Field(max_length=256)
    error: str = Field(max_length=500)
    excerpt: str = Field(default="", max_length=4096)
    at: float


class HubEventRow(SQLModel, table=True):
    """Hub-wide events: start, stop, downtime."""

    __tablename__ = "hub_events"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    detail: str = Field(default="", max_length=500)
    at: float
    until: float | None = None


class MetaRow(SQLModel, table=True):
    """Small key/value facts the hub keeps about itself (e.g. when it was last alive)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)


class CommandRow(SQLModel, table=True):
    """One command: who asked, what, and what became of it. The deadline is indexed."""

    __tablename__ = "commands"

    request_id: str = Field(primary_key=True, max_length=64)
    axon_id: str = Field(index=True, max_length=64)
    action: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    requested_by: str = Field(max_length=64)
    requested_at: float
    expires_at: float
    deadline: float = Field(index=True)
    state: str = Field(default="sent", max_length=16, index=True)
    ok: bool | None = None
    output: str = ""
    error: str | None = Field(default=None, max_length=1000)
    code: str | None = Field(default=None, max_length=32)
    duration_ms: int | None = None
    finished_at: float | None = None
